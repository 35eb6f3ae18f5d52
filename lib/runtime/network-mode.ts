/**
 * Docker's `--network` value: 'bridge' (the default bridge), 'host', 'none',
 * 'container:<name|id>', or the name or ID of a user-defined network.
 */
import { ValidationError } from '../errors';

export type NetworkMode =
  | { mode: 'bridge' }
  | { mode: 'host' }
  | { mode: 'none' }
  | { mode: 'container'; container: string }
  | { mode: 'network'; network: string };

export function parseNetworkMode(value: unknown = 'bridge'): NetworkMode {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(`network: expected 'bridge', 'host', 'none', 'container:<id>' or a network name, got '${String(value)}'`, { field: 'network' });
  }
  if (value === 'bridge' || value === 'default') return { mode: 'bridge' };
  if (value === 'host') return { mode: 'host' };
  if (value === 'none') return { mode: 'none' };
  if (value.startsWith('container:')) {
    const container = value.slice('container:'.length);
    if (!container) throw new ValidationError("network: 'container:' needs a container name or ID", { field: 'network' });
    return { mode: 'container', container };
  }
  return { mode: 'network', network: value };
}

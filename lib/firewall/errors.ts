/**
 * The firewall's own error: a host port that another endpoint already publishes. It is a
 * ValidationError (raised before any batch is sent, nothing changed) with code
 * 'EADDRINUSE', like the bind(2) failure a userland proxy would have reported.
 */
import { ValidationError } from '../errors';
import type { IpFamily, Proto } from './types';

export interface PortOwner {
  endpointId: string;
  family: IpFamily;
  proto: Proto;
  hostIp?: string;
  hostPort: number;
}

export class PortConflictError extends ValidationError {
  /** Who holds the port now. */
  readonly owner: PortOwner;
  constructor(message: string, owner: PortOwner, init: { op?: string; target?: string } = {}) {
    super(message, { ...init, code: 'EADDRINUSE', field: 'ports' });
    this.owner = owner;
  }
}

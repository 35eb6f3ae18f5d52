/**
 * Docker's `-p` syntax, parsed and validated before anything touches the kernel:
 *
 *   80                     container port 80/tcp on an ephemeral host port (every address)
 *   80-82/udp              three container ports, three ephemeral host ports
 *   8080:80                host 8080 → container 80, every host address
 *   8080-8081:80-81/sctp   two mappings, ranges of equal length
 *   127.0.0.1:8080:80      only on 127.0.0.1 (reached from the host itself)
 *   127.0.0.1::80          on 127.0.0.1, ephemeral host port
 *   [2001:db8::1]:8080:80  an IPv6 host address, in brackets
 *
 * Every error is a ValidationError naming the offending text; nothing here does I/O.
 */
import { ValidationError } from '../errors';
import { validateIp } from '../validate';
import type { EndpointSpec, IpFamily, PortMapping, PortRange, PortSpec, Proto } from './types';
import { PROTOS } from './types';

function bad(text: string, why: string): never {
  throw new ValidationError(`ports: '${text}': ${why}`, { field: 'ports', target: text, op: 'parsePortSpec' });
}

function parsePort(text: string, part: string): number {
  if (!/^\d{1,5}$/.test(part)) bad(text, `'${part}' is not a port number`);
  const n = Number(part);
  if (n < 1 || n > 65535) bad(text, `port ${n} is outside 1-65535`);
  return n;
}

function parseRange(text: string, part: string): PortRange {
  const dash = part.indexOf('-');
  if (dash === -1) {
    const p = parsePort(text, part);
    return { start: p, end: p };
  }
  const start = parsePort(text, part.slice(0, dash));
  const end = parsePort(text, part.slice(dash + 1));
  if (end < start) bad(text, `range ${start}-${end} is reversed`);
  return { start, end };
}

function checkRange(text: string, r: unknown, field: string): PortRange {
  const v = r as PortRange;
  if (v === null || typeof v !== 'object') bad(text, `${field} must be { start, end }`);
  for (const p of [v.start, v.end]) {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) bad(text, `${field}: port ${String(p)} is outside 1-65535`);
  }
  if (v.end < v.start) bad(text, `${field}: range ${v.start}-${v.end} is reversed`);
  return { start: v.start, end: v.end };
}

function checkProto(text: string, proto: unknown): Proto {
  if (!PROTOS.includes(proto as Proto)) bad(text, `unknown protocol '${String(proto)}' (tcp, udp or sctp)`);
  return proto as Proto;
}

/**
 * A host address to publish on, in normal form; the family's "any" address (0.0.0.0, ::)
 * comes back as undefined hostIp with that family. `::1` is refused: the kernel never
 * sends a packet from ::1 out of a non-loopback device (there is no route_localnet for
 * IPv6), so a DNAT to a container could not work.
 */
function hostAddress(text: string, ip: string): { hostIp?: string; family: IpFamily } {
  let v: { address: string; family: IpFamily };
  try {
    v = validateIp(ip, 'hostIp');
  } catch (err) {
    throw new ValidationError(`ports: '${text}': '${ip}' is not a host address`, { field: 'ports', target: text, op: 'parsePortSpec', cause: err });
  }
  if (v.address === '0.0.0.0' || v.address === '::') return { family: v.family };
  if (v.address === '::1') bad(text, 'publishing on ::1 is not supported (IPv6 has no route_localnet); use 127.0.0.1');
  return { hostIp: v.address, family: v.family };
}

/** Validates a PortSpec (parsed or given as an object) and returns it normalised. */
export function validatePortSpec(spec: PortSpec, text = JSON.stringify(spec)): PortSpec {
  if (spec === null || typeof spec !== 'object') bad(String(text), 'not a port spec');
  const containerPorts = checkRange(text, spec.containerPorts, 'containerPorts');
  const out: PortSpec = { containerPorts, proto: checkProto(text, spec.proto) };
  if (spec.hostPorts !== undefined) {
    out.hostPorts = checkRange(text, spec.hostPorts, 'hostPorts');
    if (out.hostPorts.end - out.hostPorts.start !== containerPorts.end - containerPorts.start) {
      bad(text, `host range ${out.hostPorts.start}-${out.hostPorts.end} and container range ${containerPorts.start}-${containerPorts.end} differ in length`);
    }
  }
  if (spec.hostIp !== undefined) {
    const h = hostAddress(text, spec.hostIp);
    // Keep an explicit wildcard, so that 0.0.0.0 still means "IPv4 only".
    out.hostIp = h.hostIp ?? (h.family === 4 ? '0.0.0.0' : '::');
  }
  return out;
}

/** Parses one `-p` value (see the file comment). */
export function parsePortSpec(text: string): PortSpec {
  if (typeof text !== 'string' || text.length === 0) bad(String(text), 'empty');
  const slash = text.lastIndexOf('/');
  const proto = slash === -1 ? 'tcp' : text.slice(slash + 1);
  const body = slash === -1 ? text : text.slice(0, slash);
  let hostIp: string | undefined;
  let rest = body;
  if (body.startsWith('[')) {
    const close = body.indexOf(']:');
    if (close === -1) bad(text, "an IPv6 host address is written '[addr]:hostPort:containerPort'");
    hostIp = body.slice(1, close);
    rest = body.slice(close + 2);
    if (!rest.includes(':')) bad(text, 'a host address needs hostPort:containerPort (hostPort may be empty)');
  }
  const parts = rest.split(':');
  let hostPart: string | undefined;
  let containerPart: string;
  if (parts.length === 1) {
    containerPart = parts[0]!;
  } else if (parts.length === 2) {
    [hostPart, containerPart] = parts as [string, string];
  } else if (parts.length === 3 && hostIp === undefined) {
    [hostIp, hostPart, containerPart] = parts as [string, string, string];
  } else {
    bad(text, parts.length > 3 ? 'an IPv6 host address must be in brackets' : 'too many fields');
  }
  if (hostIp !== undefined && hostIp.length === 0) bad(text, 'empty host address');
  const spec: PortSpec = { containerPorts: parseRange(text, containerPart), proto: checkProto(text, proto) };
  if (hostPart !== undefined && hostPart.length > 0) spec.hostPorts = parseRange(text, hostPart);
  else if (hostPart !== undefined && hostIp === undefined) bad(text, 'empty host port (write just the container port for an ephemeral one)');
  if (hostIp !== undefined) spec.hostIp = hostIp;
  return validatePortSpec(spec, text);
}

/** The text form of a spec, for messages. */
export function formatPortSpec(s: PortSpec): string {
  const range = (r: PortRange): string => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`);
  const ip = s.hostIp === undefined ? '' : s.hostIp.includes(':') ? `[${s.hostIp}]:` : `${s.hostIp}:`;
  const host = s.hostPorts === undefined ? (ip ? ':' : '') : `${range(s.hostPorts)}:`;
  return `${ip}${host}${range(s.containerPorts)}/${s.proto}`;
}

/** `net.ipv4.ip_local_port_range` as the kernel prints it ("32768\t60999"). */
export function parsePortRange(text: string): PortRange {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  const start = m ? Number(m[1]) : NaN;
  const end = m ? Number(m[2]) : NaN;
  if (!(start >= 1 && end <= 65535 && start <= end)) {
    throw new ValidationError(`ip_local_port_range: '${text}' is not 'low high'`, { field: 'ip_local_port_range' });
  }
  return { start, end };
}

/** Chooses a free host port for (proto, families, hostIp), or throws when none is left. */
export type HostPortChooser = (proto: Proto, families: readonly IpFamily[], hostIp: string | undefined) => number;

/**
 * The concrete mappings of one spec for one endpoint: one per port and per family. Without
 * a host address a mapping is made for each family the endpoint has an address of (like
 * Docker's 0.0.0.0 and ::); with one, only for its family, and the endpoint must have an
 * address of that family. Ephemeral host ports come from `choose`, the same port for both
 * families.
 */
export function resolveMappings(spec: PortSpec, endpoint: Pick<EndpointSpec, 'ipv4' | 'ipv6' | 'id'>, choose: HostPortChooser): PortMapping[] {
  const text = formatPortSpec(spec);
  let families: IpFamily[];
  let hostIp: string | undefined;
  if (spec.hostIp !== undefined) {
    const h = hostAddress(text, spec.hostIp);
    hostIp = h.hostIp;
    families = [h.family];
  } else {
    families = [];
    if (endpoint.ipv4 !== undefined) families.push(4);
    if (endpoint.ipv6 !== undefined) families.push(6);
  }
  for (const f of families) {
    if ((f === 4 ? endpoint.ipv4 : endpoint.ipv6) === undefined) bad(text, `endpoint ${endpoint.id} has no IPv${f} address`);
  }
  if (families.length === 0) bad(text, `endpoint ${endpoint.id} has no address to publish to`);
  const out: PortMapping[] = [];
  for (let i = 0; i <= spec.containerPorts.end - spec.containerPorts.start; i++) {
    const hostPort = spec.hostPorts ? spec.hostPorts.start + i : choose(spec.proto, families, hostIp);
    for (const family of families) {
      const m: PortMapping = {
        family,
        proto: spec.proto,
        hostPort,
        containerIp: (family === 4 ? endpoint.ipv4 : endpoint.ipv6)!,
        containerPort: spec.containerPorts.start + i,
      };
      if (hostIp !== undefined) m.hostIp = hostIp;
      out.push(m);
    }
  }
  return out;
}

/** 'tcp 0.0.0.0:8080 → 172.18.0.2:80' style text of a mapping, for errors and logs. */
export function formatMapping(m: PortMapping): string {
  const host = m.hostIp ?? (m.family === 4 ? '0.0.0.0' : '::');
  const hp = m.family === 6 ? `[${host}]:${m.hostPort}` : `${host}:${m.hostPort}`;
  const cp = m.family === 6 ? `[${m.containerIp}]:${m.containerPort}` : `${m.containerIp}:${m.containerPort}`;
  return `${m.proto} ${hp} -> ${cp}`;
}

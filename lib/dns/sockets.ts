/**
 * UDP and TCP sockets of a given network namespace, served by Node's event loop. The
 * addon creates each socket inside the namespace on a fresh short-lived thread and hands
 * back its fd (native/inet_socket.cc); node:dgram and node:net adopt it. So the resolver
 * listens and forwards in the Host's namespace whichever namespace the process runs in,
 * and no Node thread ever switches namespace.
 */
import dgram from 'node:dgram';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import { fromNativeError } from '../errors';
import { native, type NsFd } from '../native';

function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

async function rawSocket(ns: NsFd | null, family: 4 | 6, type: 'udp' | 'tcp', address?: string, port?: number): Promise<number> {
  try {
    return await native().inetSocket(ns, family, type, address, port);
  } catch (err) {
    throw fromNativeError(err, 'socket', 'dnsSocket', address === undefined ? `${type}${family}` : `${type} ${address}:${port}`);
  }
}

/**
 * Hands `fd` to a dgram socket or net server: `start` binds or listens on it and calls
 * back once it is in use. If that fails the fd is closed, since nothing adopted it.
 */
async function adopt<T extends EventEmitter>(fd: number, target: T, start: (done: () => void) => void): Promise<T> {
  try {
    await new Promise<void>((resolve, reject) => {
      target.once('error', reject);
      start(() => {
        target.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    closeFd(fd);
    throw err;
  }
  return target;
}

/** Closes an fd that was never adopted. */
function closeFd(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already gone */
  }
}

/** A UDP socket in `ns`, bound to address:port (or unbound, for sending, when address is omitted). */
export async function udpSocket(ns: NsFd | null, family: 4 | 6, address?: string, port = 0): Promise<dgram.Socket> {
  // The kernel binds an unbound UDP socket on first send; bind it now to the wildcard so dgram has an address.
  const fd = await rawSocket(ns, family, 'udp', address ?? (family === 4 ? '0.0.0.0' : '::'), address === undefined ? 0 : port);
  const s = dgram.createSocket({ type: family === 4 ? 'udp4' : 'udp6' });
  return adopt(fd, s, (done) => s.bind({ fd }, done));
}

/** A listening TCP server in `ns` on address:port. */
export async function tcpServer(ns: NsFd | null, address: string, port: number, onConnection: (c: net.Socket) => void): Promise<net.Server> {
  const fd = await rawSocket(ns, familyOf(address), 'tcp', address, port);
  const server = net.createServer({ noDelay: true }, onConnection);
  return adopt(fd, server, (done) => server.listen({ fd, backlog: 128 }, done));
}

/** A TCP connection from `ns` to host:port. */
export async function tcpConnect(ns: NsFd | null, host: string, port: number): Promise<net.Socket> {
  const fd = await rawSocket(ns, familyOf(host), 'tcp');
  const s = new net.Socket({ fd, readable: true, writable: true });
  s.connect(port, host);
  return s;
}

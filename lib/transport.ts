/**
 * A Transport is one netlink socket with its requests serialised: the kernel answers a
 * socket's requests in order, and a dump in flight must not interleave with another
 * request's replies. Serialising here (not with a lock in the addon) keeps waiting
 * requests off the libuv pool, so 10,000 queued requests cost 10,000 closures, not
 * blocked threads.
 *
 * It also turns the addon's plain rejections into lib/errors.ts errors that carry the
 * request type ('RTM_NEWLINK') as `syscall`, plus the caller's `op` and `target`.
 */
import { DumpInterruptedError, kernelError, NsnetError } from './errors';
import type { NetlinkSocket, TransactOptions, TransactResult } from './native';

export interface Transport {
  /** Sends one or more complete netlink messages and returns the kernel's replies. */
  transact(messages: Buffer, options?: TransactOptions): Promise<TransactResult>;
  close(): void;
  readonly closed: boolean;
}

/** What the request was, for the error a failure produces. */
export interface RequestContext {
  op: string;
  target?: string | undefined;
}

export interface NativeFailure extends Error {
  errno?: number;
  code?: string;
  syscall?: string;
  extack?: string;
  msgType?: number;
  dumpInterrupted?: boolean;
}

/** How many times a dump is re-run when the kernel flags NLM_F_DUMP_INTR. */
export const DUMP_RETRIES = 5;

/**
 * The addon's rejection of `messages` as a lib/errors.ts error naming the request type
 * (`typeName` of it) as `syscall`, plus the caller's `op` and `target`; other errors pass.
 */
export function translateFailure(err: unknown, messages: Buffer, ctx: RequestContext, typeName: (msgType: number) => string): Error {
  if (err instanceof NsnetError) return err;
  const failure = err as NativeFailure;
  if (typeof failure?.errno !== 'number') return err as Error;
  // The type of the first request message (bytes 4–5 of nlmsghdr) names the request
  // when the kernel did not tell which message failed.
  const msgType = failure.msgType ?? (messages.length >= 6 ? messages.readUInt16LE(4) : 0);
  const syscall = failure.dumpInterrupted ? `${typeName(msgType)} dump` : typeName(msgType);
  return kernelError({
    errno: failure.errno,
    code: failure.code,
    syscall,
    extack: failure.extack,
    op: ctx.op,
    target: ctx.target,
    cause: err,
  });
}

export class SerialTransport implements Transport {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly socket: NetlinkSocket,
    /** Names a message type ('RTM_NEWLINK') for errors. */
    private readonly typeName: (msgType: number) => string,
  ) {}

  get closed(): boolean {
    return this.socket.closed;
  }

  get portId(): number {
    return this.socket.portId;
  }

  transact(messages: Buffer, options?: TransactOptions): Promise<TransactResult> {
    const run = this.tail.then(() => this.socket.transact(messages, options));
    // The next request waits for this one whatever its outcome.
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** transact() with the failure turned into a typed error naming `ctx`. */
  async request(messages: Buffer, ctx: RequestContext, options?: TransactOptions): Promise<TransactResult> {
    try {
      return await this.transact(messages, options);
    } catch (err) {
      throw this.translate(err, messages, ctx);
    }
  }

  /** A dump, re-run up to DUMP_RETRIES times if the kernel says it was interrupted. */
  async dump(request: Buffer, ctx: RequestContext): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.request(request, ctx)).data;
      } catch (err) {
        if (!(err instanceof DumpInterruptedError) || attempt >= DUMP_RETRIES) throw err;
      }
    }
  }

  close(): void {
    if (!this.socket.closed) this.socket.close();
  }

  translate(err: unknown, messages: Buffer, ctx: RequestContext): Error {
    return translateFailure(err, messages, ctx, this.typeName);
  }

  /** The addon's socket, for a step of a NetlinkPlan (lib/plan.ts), which bypasses the queue. */
  get nativeSocket(): NetlinkSocket {
    return this.socket;
  }
}

/**
 * What every netlink handle (rtnetlink, nf_tables, ctnetlink) shares: one serialised
 * transport, closed once, and `using`-disposable.
 */
export abstract class TransportHandle implements Disposable {
  protected constructor(protected readonly transport: SerialTransport) {}

  get closed(): boolean {
    return this.transport.closed;
  }

  close(): void {
    this.transport.close();
  }

  /** This handle's socket, for steps of a NetlinkPlan (lib/plan.ts). */
  get planSocket(): NetlinkSocket {
    return this.transport.nativeSocket;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

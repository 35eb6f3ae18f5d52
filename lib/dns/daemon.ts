/**
 * The resolver as a long-running service, for the CLI (`nsnet dns` or similar): one
 * process serving every user-defined network of a state directory, following networks
 * and containers that other nsnet processes create and remove. Stops on SIGTERM/SIGINT
 * or `stop()`, closing every socket.
 *
 *   const d = await runDnsDaemon({ stateDir: '/var/lib/nsnet' });
 *   await d.stopped;   // until a signal
 */
import { DnsResolver, type DnsResolverOptions } from './resolver';

export interface DnsDaemonOptions extends DnsResolverOptions {
  /** Stop on these signals (default SIGTERM and SIGINT; [] to handle none). */
  signals?: NodeJS.Signals[];
  /** Called with each sync error (a gateway that could not be bound), e.g. to log it. */
  onError?: (err: Error) => void;
}

export interface DnsDaemon {
  resolver: DnsResolver;
  /** Resolves once the daemon has stopped. */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

export async function runDnsDaemon(options: DnsDaemonOptions): Promise<DnsDaemon> {
  const { signals = ['SIGTERM', 'SIGINT'], onError, ...resolverOptions } = options;
  const resolver = await DnsResolver.start(resolverOptions);
  let finish!: () => void;
  const stopped = new Promise<void>((resolve) => (finish = resolve));
  // The resolver's own timer is unref'd; the daemon keeps the process alive until stopped.
  const keepAlive = setInterval(() => {
    if (resolver.lastSyncError && onError) onError(resolver.lastSyncError);
  }, 5000);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(keepAlive);
      for (const s of signals) process.off(s, onSignal);
      await resolver.close();
      finish();
    })();
    return stopping;
  };
  const onSignal = (): void => void stop();
  for (const s of signals) process.on(s, onSignal);
  return { resolver, stopped, stop };
}

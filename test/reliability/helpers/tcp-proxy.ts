/**
 * A loopback TCP proxy between the service and a dependency (PostgreSQL, Redis) that a test can
 * turn into a bad network: `delay(ms)` holds every chunk that long in both directions, `blackhole()`
 * keeps accepting connections but forwards and answers nothing (a silent partition: nothing is
 * refused, so only the client's own deadlines notice), `cut()` destroys every open connection (a
 * reset), and `restore()` heals. Bytes sent into a blackhole are held, not dropped, and flow once
 * the proxy is restored, like TCP retransmission after a partition heals; a test that wants the
 * connections gone after the partition calls `cut()` as well.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

type Mode = 'forward' | 'blackhole';

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
  /** Chunks held while blackholed or before the upstream connection exists, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
}

export interface TcpProxyOptions {
  targetPort: number;
  targetHost?: string;
}

export class TcpProxy {
  readonly port: number;
  private readonly server: Server;
  private readonly target: { host: string; port: number };
  private readonly pairs = new Set<Pair>();
  private mode: Mode = 'forward';
  private delayMs = 0;
  /** Connections accepted over the proxy's life. */
  accepted = 0;

  private constructor(server: Server, port: number, target: { host: string; port: number }) {
    this.server = server;
    this.port = port;
    this.target = target;
  }

  /** Listens on a free loopback port. */
  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const target = { host: options.targetHost ?? '127.0.0.1', port: options.targetPort };
    let proxy: TcpProxy | undefined;
    const server = createServer((socket) => proxy?.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    proxy = new TcpProxy(server, port, target);
    return proxy;
  }

  /** Connections currently open through the proxy. */
  get open(): number {
    return this.pairs.size;
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    const pair: Pair = { client, upstream: undefined, toUpstream: [], toClient: [] };
    this.pairs.add(pair);
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.relay(pair, 'toUpstream', chunk));
    client.on('error', () => this.close(pair));
    client.on('close', () => this.close(pair));
    if (this.mode === 'forward') this.connectUpstream(pair);
  }

  private connectUpstream(pair: Pair): void {
    if (pair.upstream !== undefined || pair.client.destroyed) return;
    const upstream = connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('connect', () => this.flush(pair));
    upstream.on('data', (chunk: Buffer) => this.relay(pair, 'toClient', chunk));
    upstream.on('error', () => this.close(pair));
    upstream.on('close', () => this.close(pair));
  }

  private relay(pair: Pair, direction: 'toUpstream' | 'toClient', chunk: Buffer): void {
    const send = () => {
      pair[direction].push(chunk);
      this.flush(pair);
    };
    if (this.delayMs > 0) setTimeout(send, this.delayMs);
    else send();
  }

  /** Writes held chunks, unless blackholed or the upstream connection is not up yet. */
  private flush(pair: Pair): void {
    if (this.mode !== 'forward') return;
    const upstream = pair.upstream;
    if (upstream === undefined || upstream.connecting || upstream.destroyed) return;
    for (const chunk of pair.toUpstream.splice(0)) upstream.write(chunk);
    if (!pair.client.destroyed) for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
  }

  private close(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }

  /** Holds every chunk `ms` milliseconds in each direction (order kept); 0 removes the delay. */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** Accepts connections but forwards nothing and answers nothing, until `restore()`. */
  blackhole(): void {
    this.mode = 'blackhole';
  }

  /** Destroys every open connection (the service sees resets); new connections are still accepted. */
  cut(): void {
    for (const pair of [...this.pairs]) this.close(pair);
  }

  /** Forwards again: held chunks flow, connections accepted meanwhile get their upstream. */
  restore(): void {
    this.mode = 'forward';
    this.delayMs = 0;
    for (const pair of this.pairs) {
      if (pair.upstream === undefined) this.connectUpstream(pair);
      else this.flush(pair);
    }
  }

  /** Closes the listener and every connection. */
  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

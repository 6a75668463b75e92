/** The embedder port: turns texts into vectors of one model. */
export interface Embedder {
  /** Model name (part of every cache key). */
  readonly model: string;
  /** Embeds texts in order; the result has one vector per text. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** What every batch file reader yields: rows in file order, in chunks, each readable or not. */

/** One data row: its 1-based number (header excluded) and its values, or why it could not be read. */
export type RowRead<T> =
  | { row: number; values: T; unreadable?: undefined }
  | { row: number; unreadable: string; /** The text as found, when the reader has it. */ original: string; values?: undefined };

export interface FileRows<T> {
  /** Chunks of at most `chunkRows` rows; the first `skipRows` rows are read but not returned (resume). */
  chunks: AsyncIterable<RowRead<T>[]>;
  /** How much of the file has been consumed, in bytes. */
  bytesRead(): number;
}

export interface ReadOptions {
  skipRows: number;
  chunkRows: number;
}

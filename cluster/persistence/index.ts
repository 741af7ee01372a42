/** The persistence area's public API: codec, incremental writer, streaming and files. */
export { SnapshotError, type SnapshotErrorCode } from './errors.js';
export { type SnapshotEntry, type SnapshotHeader, type SnapshotTrailer, SNAPSHOT_VERSION, HEADER_BYTES, TRAILER_BYTES } from './format.js';
export { SnapshotDecoder, type SnapshotHandlers } from './decoder.js';
export { SnapshotWriter, startSnapshot, type SnapshotSource, type WriterState } from './writer.js';
export { CHUNK_BYTES, pipeSnapshot, snapshotChunks } from './stream.js';
export { loadSnapshotFile, saveSnapshotFile, saveSnapshotSync, type LoadResult } from './file.js';

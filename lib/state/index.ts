/** The state directory's building blocks: atomic files, locks, journaled state. */
export { fsyncDir, readFileIfExists, removeStaleTemps, unlinkIfExists, writeFileAtomic, writeFileDurable } from './atomic-file';
export { StateCorruptError } from './errors';
export { encodeRecord, parseRecords } from './journal';
export type { ParsedRecords } from './journal';
export { JOURNAL_FILE, JournaledFile, LOCK_FILE, SNAPSHOT_FILE } from './journaled-file';
export type { JournalCodec, JournaledFileOptions } from './journaled-file';
export { flockLock, lockFileFor, readJsonLocked, updateJsonLocked, withFileLock } from './locked';
export type { HeldLock, LockFn, LockOptions } from './locked';
export { withMutex } from './mutex';

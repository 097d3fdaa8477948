export * from './model';
export { defaultTiers, approvalWeight, type DefaultTierOptions } from './tiers';
export { parseDuration, addDuration, formatDuration, InvalidDurationError, SEVEN_DAYS_SECONDS } from './duration';
export { effectiveSettings, PolicyConfigError, type EffectiveSettings } from './settings';
export { DirectoryIndex } from './directory';
export * from './evaluate';
export { parseDirectoryImport, CSV_COLUMNS, type DirectoryImport, type ImportError } from './directory-import';

// Where the migration reads and writes, relative to the repository root.

// The candidate storage migrate builds and flip makes live.
export const CANDIDATE = 'storage_candidate/v1';
// The mock source system's maintenance flag (writes frozen or open).
export const MAINTENANCE_FILE = 'state/maintenance.json';
// Reports of the latest dry-run, candidate scan and live scan.
export const DRY_RUN_REPORT = 'storage_reports/latest-dry-run';
export const SCAN_REPORT = 'storage_reports/latest-scan';
export const LIVE_SCAN_REPORT = 'storage_reports/latest-live-scan';

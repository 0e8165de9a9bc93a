// Types of scripts/example-repo.js, for the end-to-end tests.
export declare const EXAMPLES: { 'station-56': string; 'event-log': string };
export declare const CLI: string;
export declare function createExampleRepo(name: keyof typeof EXAMPLES, options?: { parent?: string }): string;

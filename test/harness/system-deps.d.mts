import type { Browser } from 'playwright-core';

export const CODE_SERVER_BUILD_PACKAGES: string[];
export const BROWSER_ARGS: string[];
export function ensureDebianPackages(pkgs: string[], why: string): void;
export function ensureBrowser(): Promise<string>;
export function launchBrowser(): Promise<Browser>;

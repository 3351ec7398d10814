/**
 * The scripts the lab knows: the exact texts of resources/bootstrap.ps1 and
 * resources/scripts/*.ps1, read at start. A script is identified by its header line and run only
 * when its whole text is byte-identical to the file: a modified body, even by one space, is refused.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appPaths } from '../engine/app-paths';

const HEADER = /^# Twinlock remote script: ([a-z0-9-]+)\r?\n# Version: (\d+)/;

export class ScriptCatalogue {
  readonly bootstrap: string;
  private readonly scripts = new Map<string, string>();

  constructor(resourcesDir = appPaths().resources) {
    this.bootstrap = readFileSync(join(resourcesDir, 'bootstrap.ps1'), 'utf8');
    const dir = join(resourcesDir, 'scripts');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ps1'))) {
      const text = readFileSync(join(dir, file), 'utf8');
      const name = HEADER.exec(text)?.[1];
      if (name) this.scripts.set(name, text);
    }
  }

  /** True when `text` is the bootstrap. */
  isBootstrap(text: string): boolean {
    return text === this.bootstrap;
  }

  /** The name of the script `text` is, or null when it is no known script or was modified. */
  identify(text: string): string | null {
    const name = HEADER.exec(text)?.[1];
    if (!name) return null;
    const known = this.scripts.get(name);
    return known !== undefined && known === text ? name : null;
  }

  names(): string[] {
    return [...this.scripts.keys()].sort();
  }
}

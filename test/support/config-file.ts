/**
 * A config file's text through the loader the process uses (YAML, `${env:...}`, environment
 * overrides, the loose typing of collector sections), for instrument tests that port the
 * original's config-loading cases.
 */
import { buildConfig, ConfigError, parseYaml } from '../../lib/config/load.js';

/** `collectors.<name>` of the config `yaml` loads to, with `env` applied. */
export function collectorSection(name: string, yaml: string, env: Record<string, string> = {}): unknown {
  return (buildConfig(parseYaml(yaml, 'config.yaml'), env).config.collectors as Record<string, unknown>)[
    name
  ];
}

/** The loader's error message for `yaml`; fails when the config is accepted. */
export function configRefusal(yaml: string): string {
  try {
    buildConfig(parseYaml(yaml, 'config.yaml'), {});
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`the config was accepted:\n${yaml}`);
}

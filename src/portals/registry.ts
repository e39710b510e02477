import type {
  BuiltInPortalKind,
  IPortalClient,
  IPortalConfig,
  IPortalRegistry
} from '../tokens';
import type { IFetchOptions } from './http';
import { AXIVION_ENV_VARS, SODAR_ENV_VARS, XDMOD_ENV_VARS } from './variables';

/** A client factory for a portal kind. */
type Factory = (config: IPortalConfig) => IPortalClient;

/**
 * Makes portal clients by kind. Knows XDMoD, SODAR and Axivion out of the box; other extensions
 * may register more. A built-in kind's client code is fetched only when a configured portal is
 * of that kind (`load`), so kinds a deployment does not use cost its start-up nothing.
 */
export class PortalRegistry implements IPortalRegistry {
  constructor() {
    this._builtIn('xdmod', XDMOD_ENV_VARS, async () => {
      const { XdmodClient } = await import('./xdmod');
      return config => new XdmodClient(config, Private.transport(config));
    });
    this._builtIn('axivion', AXIVION_ENV_VARS, async () => {
      const { AxivionClient } = await import('./axivion');
      return config => new AxivionClient(config, Private.transport(config));
    });
    this._builtIn('sodar', SODAR_ENV_VARS, async () => {
      const { SodarClient } = await import('./sodar');
      return config => new SodarClient(config, Private.transport(config));
    });
  }

  get kinds(): string[] {
    return [...this._kinds.keys()];
  }

  register(
    kind: string,
    factory: Factory,
    envVars: Record<string, string>
  ): void {
    this._kinds.set(kind, { factory, envVars });
  }

  defaultEnvVars(kind: string): Record<string, string> {
    return { ...this._kinds.get(kind)?.envVars };
  }

  async load(kinds: readonly string[]): Promise<void> {
    await Promise.all(
      kinds.map(async kind => {
        const entry = this._kinds.get(kind);
        if (entry && !entry.factory && entry.load) {
          entry.loading ??= entry.load().then(factory => {
            entry.factory = factory;
          });
          await entry.loading;
        }
      })
    );
  }

  create(config: IPortalConfig): IPortalClient {
    const entry = this._kinds.get(config.kind);
    if (!entry) {
      throw new Error(`Unknown portal kind: ${config.kind}`);
    }
    if (!entry.factory) {
      throw new Error(
        `The ${config.kind} client is not loaded: call load(["${config.kind}"]) first.`
      );
    }
    return entry.factory(config);
  }

  private _builtIn(
    kind: BuiltInPortalKind,
    envVars: Record<string, string>,
    load: () => Promise<Factory>
  ): void {
    this._kinds.set(kind, { envVars, load });
  }

  private _kinds = new Map<
    string,
    {
      factory?: Factory;
      envVars: Record<string, string>;
      load?: () => Promise<Factory>;
      loading?: Promise<void>;
    }
  >();
}

namespace Private {
  /**
   * A portal reached through the Jupyter server's relay (`server`, and `auto` on another
   * origin, which the browser cannot call without the portal's CORS), or from the browser.
   */
  export function transport(config: IPortalConfig): IFetchOptions {
    return config.via === 'server' || config.via === 'auto'
      ? { relay: { portalId: config.id, portalUrl: config.url } }
      : {};
  }
}

import type { IPortalClient, IPortalConfig, IPortalRegistry } from '../tokens';
import { AxivionClient } from './axivion';
import type { IFetchOptions } from './http';
import { SodarClient } from './sodar';
import { XdmodClient } from './xdmod';

/**
 * Makes portal clients by kind. Knows XDMoD, SODAR and Axivion out of the box; other extensions may register more.
 */
export class PortalRegistry implements IPortalRegistry {
  constructor() {
    this.register(
      'xdmod',
      config => new XdmodClient(config, Private.transport(config)),
      XdmodClient.ENV_VARS
    );
    this.register(
      'axivion',
      config => new AxivionClient(config, Private.transport(config)),
      AxivionClient.ENV_VARS
    );
    this.register(
      'sodar',
      config => new SodarClient(config, Private.transport(config)),
      SodarClient.ENV_VARS
    );
  }

  get kinds(): string[] {
    return [...this._kinds.keys()];
  }

  register(
    kind: string,
    factory: (config: IPortalConfig) => IPortalClient,
    envVars: Record<string, string>
  ): void {
    this._kinds.set(kind, { factory, envVars });
  }

  defaultEnvVars(kind: string): Record<string, string> {
    return { ...this._kinds.get(kind)?.envVars };
  }

  create(config: IPortalConfig): IPortalClient {
    const entry = this._kinds.get(config.kind);
    if (!entry) {
      throw new Error(`Unknown portal kind: ${config.kind}`);
    }
    return entry.factory(config);
  }

  private _kinds = new Map<
    string,
    {
      factory: (config: IPortalConfig) => IPortalClient;
      envVars: Record<string, string>;
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

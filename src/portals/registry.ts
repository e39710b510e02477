import type { IPortalClient, IPortalConfig, IPortalRegistry } from '../tokens';
import { AxivionClient } from './axivion';
import { SodarClient } from './sodar';
import { XdmodClient } from './xdmod';

/**
 * Makes portal clients by kind. Knows XDMoD, SODAR and Axivion out of the box; other extensions may register more.
 */
export class PortalRegistry implements IPortalRegistry {
  constructor() {
    this.register(
      'xdmod',
      config => new XdmodClient(config),
      XdmodClient.ENV_VARS
    );
    this.register(
      'axivion',
      config => new AxivionClient(config),
      AxivionClient.ENV_VARS
    );
    this.register(
      'sodar',
      config => new SodarClient(config),
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

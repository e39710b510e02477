import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  IKernelInjector,
  IPortalRegistry,
  IPortalTokenManager
} from './tokens';

/**
 * The settings' id: the schema is `schema/plugin.json`.
 */
const SETTINGS_ID = 'jupyterlab-portal-token:plugin';

/**
 * Portal clients by kind.
 */
const registryPlugin: JupyterFrontEndPlugin<IPortalRegistry> = {
  id: 'jupyterlab-portal-token:registry',
  description: 'Makes API clients for the portal kinds the extension knows.',
  autoStart: true,
  provides: IPortalRegistry,
  activate: async (): Promise<IPortalRegistry> => {
    const { PortalRegistry } = await import('./portals/registry');
    return new PortalRegistry();
  }
};

/**
 * One token model per configured portal, following the settings.
 */
const managerPlugin: JupyterFrontEndPlugin<IPortalTokenManager> = {
  id: SETTINGS_ID,
  description: 'Holds the API token state of every configured portal.',
  autoStart: true,
  requires: [ISettingRegistry, IPortalRegistry],
  optional: [IKernelInjector],
  provides: IPortalTokenManager,
  activate: async (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry,
    registry: IPortalRegistry,
    injector: IKernelInjector | null
  ): Promise<IPortalTokenManager> => {
    const { PortalTokenManager } = await import('./manager');
    const manager = new PortalTokenManager({
      registry,
      injector,
      origin: window.location.origin
    });
    const apply = (settings: ISettingRegistry.ISettings): void => {
      manager.configure({
        portals: settings.composite.portals,
        autoInject: settings.composite.autoInject as boolean,
        warnBeforeExpiryDays: settings.composite.warnBeforeExpiryDays as number,
        autoGenerate: settings.composite.autoGenerate as boolean
      });
      // Never wait for a portal inside activate: JupyterLab's start must not depend on it.
      void manager.checkNew();
    };
    try {
      const settings = await settingRegistry.load(SETTINGS_ID);
      apply(settings);
      settings.changed.connect(apply);
    } catch (reason) {
      console.error('jupyterlab-portal-token: could not load settings', reason);
    }
    return manager;
  }
};

/**
 * The "API tokens" panel in the left sidebar.
 */
const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-portal-token:panel',
  description: 'The "API tokens" sidebar panel.',
  autoStart: true,
  requires: [IPortalTokenManager],
  optional: [ILayoutRestorer, ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    manager: IPortalTokenManager,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ): Promise<void> => {
    const { TokenPanel } = await import('./widgets/panel');
    const { keyIcon } = await import('./icons');
    const trans = (translator ?? nullTranslator).load(
      'jupyterlab_portal_token'
    );
    const panel = new TokenPanel({ manager, trans });
    panel.id = 'jp-PortalToken-panel';
    panel.title.icon = keyIcon;
    panel.title.caption = trans.__('API tokens');
    panel.title.label = '';
    panel.node.setAttribute('role', 'region');
    panel.node.setAttribute('aria-label', trans.__('API tokens'));
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, 'jupyterlab-portal-token:panel');
  }
};

export default [registryPlugin, managerPlugin, panelPlugin];

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ServerTokenBroker } from './broker';
import { addCommands, CommandIDs, PANEL_ID } from './commands';
import { TRANSLATION_DOMAIN } from './i18n';
import { keyIcon } from './icons';
import { KernelInjector } from './injection/injector';
import { PortalTokenManager } from './manager';
import { addExpiryNotices } from './notices';
import { PortalRegistry } from './portals/registry';
import {
  IKernelInjector,
  IPortalRegistry,
  IPortalTokenManager,
  ITokenBroker
} from './tokens';
import { TokenPanel } from './widgets/panel';
import { TokenStatus } from './widgets/status';

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
  activate: (): IPortalRegistry => new PortalRegistry()
};

/**
 * The server half: keeps live tokens across reloads and gives them to kernels at launch.
 */
const brokerPlugin: JupyterFrontEndPlugin<ITokenBroker> = {
  id: 'jupyterlab-portal-token:broker',
  description:
    'Keeps live API tokens in the Jupyter server, for reloads and for kernels at launch.',
  autoStart: true,
  provides: ITokenBroker,
  activate: (app: JupyterFrontEnd): ITokenBroker =>
    new ServerTokenBroker({
      serverSettings: app.serviceManager.serverSettings
    })
};

/**
 * Puts the live tokens into every kernel: notebooks', consoles', and kernels without a widget.
 */
const injectorPlugin: JupyterFrontEndPlugin<IKernelInjector> = {
  id: 'jupyterlab-portal-token:injector',
  description: 'Puts portal API tokens into the environment of every kernel.',
  autoStart: true,
  provides: IKernelInjector,
  optional: [INotebookTracker, IConsoleTracker, ITranslator, ITokenBroker],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    consoles: IConsoleTracker | null,
    translator: ITranslator | null,
    broker: ITokenBroker | null
  ): IKernelInjector => {
    const injector = new KernelInjector({
      kernelManager: app.serviceManager.kernels,
      kernelSpecManager: app.serviceManager.kernelspecs,
      translator: translator ?? nullTranslator,
      launch: broker
    });
    // Widgets' own kernel connections, so the token is queued before their first cell.
    notebooks?.forEach(panel =>
      injector.addSessionContext(panel.sessionContext)
    );
    notebooks?.widgetAdded.connect((_, panel) =>
      injector.addSessionContext(panel.sessionContext)
    );
    consoles?.forEach(panel =>
      injector.addSessionContext(panel.sessionContext)
    );
    consoles?.widgetAdded.connect((_, panel) =>
      injector.addSessionContext(panel.sessionContext)
    );
    return injector;
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
  optional: [IKernelInjector, ITokenBroker],
  provides: IPortalTokenManager,
  activate: async (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry,
    registry: IPortalRegistry,
    injector: IKernelInjector | null,
    broker: ITokenBroker | null
  ): Promise<IPortalTokenManager> => {
    const manager = new PortalTokenManager({
      registry,
      injector,
      broker,
      origin: window.location.origin
    });
    const apply = (settings: ISettingRegistry.ISettings): void => {
      // Once the clients of the configured kinds are loaded; then the new portals are checked
      // (never awaited here: JupyterLab's start must not depend on a portal).
      void manager.apply({
        portals: settings.composite.portals,
        autoInject: settings.composite.autoInject as boolean,
        autoRenew: settings.composite.autoRenew as boolean,
        warnBeforeExpiryDays: settings.composite.warnBeforeExpiryDays as number,
        autoGenerate: settings.composite.autoGenerate as boolean,
        injectTerminals: settings.composite.injectTerminals as boolean
      });
    };
    // Revoked elsewhere, signed out in another tab: noticed on focus and within a minute.
    manager.watch();
    // A terminal opened or closed: the cards count the terminals that hold each token.
    manager.followTerminals(app.serviceManager.terminals);
    // Two tabs of this JupyterLab never disagree about a token (one would inject a dead one).
    manager.share();
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
  optional: [ILayoutRestorer, ITranslator, IStateDB],
  activate: (
    app: JupyterFrontEnd,
    manager: IPortalTokenManager,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    state: IStateDB | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const panel = new TokenPanel({
      manager,
      trans,
      commands: app.commands,
      state
    });
    panel.id = PANEL_ID;
    panel.title.icon = keyIcon;
    panel.title.caption = trans.__('API tokens');
    panel.title.label = '';
    panel.node.setAttribute('role', 'region');
    panel.node.setAttribute('aria-label', trans.__('API tokens'));
    addExpiryNotices(app, manager, trans);
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, 'jupyterlab-portal-token:panel');
  }
};

/**
 * The commands (token actions, the panel, snippets), in the palette.
 */
const commandsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-portal-token:commands',
  description:
    'Commands to generate, copy and revoke API tokens, and to insert or copy snippets that use them.',
  autoStart: true,
  requires: [IPortalTokenManager],
  optional: [ICommandPalette, ITranslator, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    manager: IPortalTokenManager,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    notebooks: INotebookTracker | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    addCommands(app, { manager, trans, palette, notebooks });
  }
};

/**
 * Time left on the token in the status bar.
 */
const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-portal-token:status',
  description: 'Shows the time left on the API token in the status bar.',
  autoStart: true,
  requires: [IPortalTokenManager],
  optional: [IStatusBar, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    manager: IPortalTokenManager,
    statusBar: IStatusBar | null,
    translator: ITranslator | null
  ): void => {
    if (!statusBar) {
      return;
    }
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const item = new TokenStatus({
      manager,
      trans,
      onClick: () => void app.commands.execute(CommandIDs.open)
    });
    statusBar.registerStatusItem('jupyterlab-portal-token:status', {
      item,
      align: 'left',
      rank: 5,
      isActive: () => item.hasToken,
      activeStateChanged: item.activeChanged
    });
  }
};

export default [
  registryPlugin,
  brokerPlugin,
  injectorPlugin,
  managerPlugin,
  panelPlugin,
  commandsPlugin,
  statusPlugin
];

import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  type ICommandPalette,
  Notification
} from '@jupyterlab/apputils';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import { TokenActions } from './actions';
import type { IPortalTokenManager, IPortalTokenModel } from './tokens';
import {
  hasSnippets,
  portalSnippet,
  snippetLanguage,
  type SnippetLanguage
} from './snippets';

/**
 * The panel's widget id, for commands that open it.
 */
export const PANEL_ID = 'jp-PortalToken-panel';

/**
 * Command ids.
 */
export namespace CommandIDs {
  export const generate = 'jupyterlab-portal-token:generate-token';
  export const copy = 'jupyterlab-portal-token:copy-token';
  export const revoke = 'jupyterlab-portal-token:revoke-token';
  export const open = 'jupyterlab-portal-token:open-panel';
  /** Args `{ portal?: string }`: a new code cell below the active notebook's active cell. */
  export const insertSnippet = 'jupyterlab-portal-token:insert-snippet';
  /** Args `{ portal?: string }`: the snippet in the active notebook's language, else Python. */
  export const copySnippet = 'jupyterlab-portal-token:copy-snippet';
}

/**
 * What the commands act on.
 */
export interface ICommandsOptions {
  /** The portals' token models. */
  manager: IPortalTokenManager;
  /** The extension's translation bundle. */
  trans: TranslationBundle;
  /** Where the commands are listed, if there is a palette. */
  palette?: ICommandPalette | null;
  /** The notebooks, for the snippet commands; without it, "insert" is never enabled. */
  notebooks?: INotebookTracker | null;
}

/**
 * Add the extension's commands (generate, copy, revoke a token; open the panel; insert and
 * copy a portal's snippet) and list them in the palette.
 *
 * A token command acts on the portal named in its args (`{ portal: id }`), or else on the
 * first portal it fits; a snippet command on the named portal, or else the first live one.
 */
export function addCommands(
  app: JupyterFrontEnd,
  options: ICommandsOptions
): void {
  const { manager, trans, palette } = options;
  const notebooks = options.notebooks ?? null;
  const pick = (
    args: { portal?: unknown },
    states: string[],
    fits: (model: IPortalTokenModel) => boolean
  ): IPortalTokenModel | undefined =>
    manager.models.find(
      model =>
        (args.portal === undefined || model.config.id === args.portal) &&
        states.includes(model.state) &&
        model.activity === null &&
        fits(model)
    );
  // Generating from a command needs a portal that asks nothing (no form to fill in).
  const oneClick = (model: IPortalTokenModel) => {
    const caps = model.client.capabilities;
    return (
      caps.create &&
      caps.credentials === 'session' &&
      !caps.needsPassword &&
      caps.types.length === 0
    );
  };
  const portalArg = {
    type: 'object' as const,
    properties: {
      portal: { type: 'string' as const, description: trans.__('Portal id') }
    }
  };
  const tokenCommands = [
    {
      id: CommandIDs.generate,
      label: trans.__('Generate API Token'),
      states: ['none'],
      fits: oneClick,
      run: TokenActions.generate
    },
    {
      id: CommandIDs.copy,
      label: trans.__('Copy API Token'),
      states: ['live'],
      fits: () => true,
      run: TokenActions.copy
    },
    {
      id: CommandIDs.revoke,
      label: trans.__('Revoke API Token'),
      states: ['live', 'stored', 'expired'],
      fits: (model: IPortalTokenModel) => model.client.capabilities.revoke,
      run: TokenActions.revoke
    }
  ];
  for (const { id, label, states, fits, run } of tokenCommands) {
    app.commands.addCommand(id, {
      label,
      describedBy: { args: portalArg },
      isEnabled: args => !!pick(args, states, fits),
      execute: async args => {
        const model = pick(args, states, fits);
        if (model) {
          await run(model, trans);
        }
      }
    });
  }
  app.commands.addCommand(CommandIDs.open, {
    label: trans.__('Open API Tokens Panel'),
    describedBy: { args: { type: 'object', properties: {} } },
    execute: () => app.shell.activateById(PANEL_ID)
  });

  // ---- "Use it": snippets ----------------------------------------------------------------

  // Live is enough: a check or a renewal running meanwhile leaves the variables' names as they are.
  const live = (args: { portal?: unknown }) =>
    manager.models.find(
      model =>
        (args.portal === undefined || model.config.id === args.portal) &&
        model.state === 'live' &&
        hasSnippets(model.config.kind)
    );
  // The notebook in the main area, as JupyterLab's own notebook commands see it.
  const activeNotebook = (): NotebookPanel | null => {
    const panel = notebooks?.currentWidget ?? null;
    return panel && panel === app.shell.currentWidget ? panel : null;
  };
  const portalLabel = (args: { portal?: unknown }) =>
    manager.models.find(model => model.config.id === args.portal)?.config.label;

  app.commands.addCommand(CommandIDs.insertSnippet, {
    label: args => {
      const portal = portalLabel(args);
      return portal
        ? trans.__('Insert %1 Snippet into Notebook', portal)
        : trans.__('Insert API Token Snippet into Notebook');
    },
    caption: trans.__(
      "A new cell below the active one, in the notebook's kernel language, that uses the portal's token from the environment"
    ),
    describedBy: { args: portalArg },
    isEnabled: args => {
      const panel = activeNotebook();
      return (
        !!panel &&
        !!live(args) &&
        !panel.content.model?.readOnly &&
        Private.snippetLanguageOf(app, panel) !== null
      );
    },
    execute: async args => {
      const model = live(args);
      const panel = activeNotebook();
      if (!model || !panel) {
        return;
      }
      await panel.sessionContext.ready;
      const language = Private.snippetLanguageOf(app, panel);
      const code = language && portalSnippet(model.config, language);
      if (!code) {
        Notification.warning(
          trans.__(
            'There is no snippet for %1 in %2: copy the Python one and adapt it.',
            model.config.label,
            Private.kernelLanguage(app, panel)
          ),
          { autoClose: 5000 }
        );
        return;
      }
      Private.insertBelow(panel, code);
      // Back from the sidebar button to the notebook, its new cell ready to run.
      app.shell.activateById(panel.id);
    }
  });

  app.commands.addCommand(CommandIDs.copySnippet, {
    label: args => {
      const portal = portalLabel(args);
      return portal
        ? trans.__('Copy %1 Snippet', portal)
        : trans.__('Copy API Token Snippet');
    },
    caption: trans.__(
      "Code that uses the portal's token from the environment, in the active notebook's kernel language (else Python)"
    ),
    describedBy: { args: portalArg },
    isEnabled: args => !!live(args),
    execute: async args => {
      const model = live(args);
      if (!model) {
        return;
      }
      const panel = activeNotebook();
      const language =
        (panel && Private.snippetLanguageOf(app, panel)) || 'python';
      const code = portalSnippet(model.config, language);
      if (!code) {
        return;
      }
      await Private.copyToClipboard(code);
      Notification.info(
        language === 'r'
          ? trans.__(
              'R snippet for %1 copied to the clipboard.',
              model.config.label
            )
          : trans.__(
              'Python snippet for %1 copied to the clipboard.',
              model.config.label
            ),
        { autoClose: 3000 }
      );
    }
  });

  const changed = () => app.commands.notifyCommandChanged();
  manager.tokenChanged.connect(changed);
  manager.itemsChanged.connect(changed);
  notebooks?.currentChanged.connect(changed);
  // Another kernel may speak another language: "insert" may change its mind.
  notebooks?.forEach(panel =>
    panel.sessionContext.kernelChanged.connect(changed)
  );
  notebooks?.widgetAdded.connect((_, panel) =>
    panel.sessionContext.kernelChanged.connect(changed)
  );
  app.shell.currentChanged?.connect(changed);

  const category = trans.__('API Tokens');
  for (const command of Object.values(CommandIDs)) {
    palette?.addItem({ command, category });
  }
}

/**
 * Module internals.
 */
namespace Private {
  /**
   * The notebook's kernel language as far as it is known now: the running kernel's spec,
   * else what the notebook's metadata says (`language_info`, then `kernelspec`); empty when
   * nothing says.
   */
  export function kernelLanguage(
    app: JupyterFrontEnd,
    panel: NotebookPanel
  ): string {
    const kernel = panel.sessionContext.session?.kernel;
    const specs = app.serviceManager.kernelspecs.specs?.kernelspecs;
    const model = panel.content.model;
    const kernelspec = model?.getMetadata('kernelspec') as
      { language?: unknown } | undefined;
    return (
      (kernel && specs?.[kernel.name]?.language) ||
      model?.defaultKernelLanguage ||
      (typeof kernelspec?.language === 'string' ? kernelspec.language : '')
    );
  }

  /**
   * The snippet language for a notebook: its kernel's, Python when nothing tells the
   * language (no kernel chosen yet), `null` for a language without snippets.
   */
  export function snippetLanguageOf(
    app: JupyterFrontEnd,
    panel: NotebookPanel
  ): SnippetLanguage | null {
    const language = kernelLanguage(app, panel);
    return language ? snippetLanguage(language) : 'python';
  }

  /** A new code cell with `code` below the active cell (at the top without one), made active. */
  export function insertBelow(panel: NotebookPanel, code: string): void {
    const notebook = panel.content;
    const model = notebook.model;
    if (!model) {
      return;
    }
    const at = Math.min(notebook.activeCellIndex + 1, model.cells.length);
    model.sharedModel.insertCell(at, {
      cell_type: 'code',
      source: code,
      metadata: {}
    });
    notebook.deselectAll();
    notebook.activeCellIndex = at;
    notebook.mode = 'command';
    if (notebook.activeCell) {
      void notebook.scrollToCell(notebook.activeCell);
    }
  }

  /** The system clipboard, or JupyterLab's fallback where the browser refuses. */
  export async function copyToClipboard(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      Clipboard.copyToSystem(text);
    }
  }
}

import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { IPortalTokenModel } from '../tokens';

/**
 * What the card's live line counts.
 */
export interface ILiveCounts {
  /** Kernels that hold the token. */
  kernels: number;
  /** Running terminals that hold it; `null` where terminals are not counted. */
  terminals: number | null;
  /** Whether terminals opened from now on get it. */
  newTerminals: boolean;
}

/**
 * The card's live line: "Live in 3 kernels, 1 terminal"; while no terminal holds the token
 * yet but new ones would get it, "Live in 1 kernel; new terminals get it".
 */
export function liveLine(
  counts: ILiveCounts,
  trans: TranslationBundle
): string {
  const { kernels, terminals, newTerminals } = counts;
  if (terminals) {
    return trans.__(
      'Live in %1, %2',
      trans._n('%1 kernel', '%1 kernels', kernels),
      trans._n('%1 terminal', '%1 terminals', terminals)
    );
  }
  return newTerminals
    ? trans._n(
        'Live in %1 kernel; new terminals get it',
        'Live in %1 kernels; new terminals get it',
        kernels
      )
    : trans._n('Live in %1 kernel', 'Live in %1 kernels', kernels);
}

/**
 * The counts of a live model: terminals count where the Jupyter server keeps the token and
 * has terminals.
 */
export function liveCounts(model: IPortalTokenModel): ILiveCounts {
  const terminals = Private.terminalsShown(model);
  return {
    kernels: model.kernelCount,
    terminals: terminals ? model.terminalCount : null,
    newTerminals: terminals && model.injectTerminals
  };
}

/**
 * The running terminals in the unfolded live line (name, language, state): those opened
 * before the token reached terminals do not hold it. Nothing where terminals are not counted.
 */
export function TerminalList(props: {
  model: IPortalTokenModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  if (!Private.terminalsShown(model)) {
    return null;
  }
  // With terminals turned off, a new terminal would not get it either: only the holders.
  const terminals = model.terminals.filter(
    terminal => terminal.holds || model.injectTerminals
  );
  if (terminals.length === 0) {
    return null;
  }
  return (
    <ul aria-label={trans.__('Terminals')}>
      {terminals.map(terminal => (
        <li
          key={terminal.name}
          className={terminal.holds ? '' : 'jp-mod-warning'}
        >
          {`${trans.__('Terminal %1', terminal.name)} · ${trans.__('shell')} · ${
            terminal.holds
              ? trans.__('has the token')
              : trans.__('opened before the token: open a new terminal')
          }`}
        </li>
      ))}
    </ul>
  );
}

namespace Private {
  /** Whether the server keeps the live token and has terminals to give it to. */
  export function terminalsShown(model: IPortalTokenModel): boolean {
    return !!model.server?.terminals && model.keptByServer;
  }
}

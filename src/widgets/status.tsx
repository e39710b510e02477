import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';
import { keyIcon } from '../icons';
import type { IPortalTokenManager, IPortalTokenModel } from '../tokens';
import { formatShort } from './format';
import { attachStylesheet } from './stylesheet';

/**
 * The status bar item: time left on the token that expires first ("API token: 182 d").
 */
export class TokenStatus extends ReactWidget {
  constructor(options: TokenStatus.IOptions) {
    super();
    attachStylesheet();
    this._manager = options.manager;
    this._trans = options.trans;
    this._onClick = options.onClick;
    this.addClass('jp-PortalToken-status');
    this._manager.tokenChanged.connect(this._onChange, this);
    this._manager.itemsChanged.connect(this._onChange, this);
    this._onChange();
  }

  /**
   * Emitted when the item may have appeared or disappeared.
   */
  get activeChanged(): ISignal<this, void> {
    return this._activeChanged;
  }

  /**
   * Whether there is a token to talk about.
   */
  get hasToken(): boolean {
    return this._shown() !== null;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopTicking();
    Signal.clearData(this);
    super.dispose();
  }

  protected render(): JSX.Element | null {
    const model = this._shown();
    const trans = this._trans;
    this.toggleClass(
      'jp-mod-warning',
      !!model && (model.expiringSoon || model.state === 'expired')
    );
    if (!model) {
      return null;
    }
    const left = model.timeLeft;
    const text =
      model.state === 'expired'
        ? trans.__('API token: expired')
        : left === null
          ? trans.__('API token: no expiry')
          : trans.__('API token: %1', formatShort(left));
    const label = trans.__(
      '%1 — open the API tokens panel',
      model.config.label
    );
    return (
      <button
        type="button"
        className="jp-PortalToken-statusButton"
        title={label}
        aria-label={`${text}. ${label}`}
        onClick={this._onClick}
      >
        <keyIcon.react tag="span" className="jp-PortalToken-statusIcon" />
        <span>{text}</span>
      </button>
    );
  }

  /**
   * The token the user most needs to hear about: expired first, then the one expiring first.
   */
  private _shown(): IPortalTokenModel | null {
    const models = this._manager.models.filter(
      model => model.state === 'live' || model.state === 'expired'
    );
    const expired = models.find(model => model.state === 'expired');
    if (expired) {
      return expired;
    }
    return (
      models.sort(
        (a, b) => (a.timeLeft ?? Infinity) - (b.timeLeft ?? Infinity)
      )[0] ?? null
    );
  }

  private _onChange(): void {
    // The label counts down: refresh it once a minute, only while there is a live token.
    if (this._shown()?.state === 'live') {
      this._startTicking();
    } else {
      this._stopTicking();
    }
    this._activeChanged.emit();
    this.update();
  }

  private _startTicking(): void {
    if (this._ticker === null) {
      this._ticker = setInterval(() => this.update(), 60000);
    }
  }

  private _stopTicking(): void {
    if (this._ticker !== null) {
      clearInterval(this._ticker);
      this._ticker = null;
    }
  }

  private _activeChanged = new Signal<this, void>(this);
  private _manager: IPortalTokenManager;
  private _onClick: () => void;
  private _ticker: ReturnType<typeof setInterval> | null = null;
  private _trans: TranslationBundle;
}

/**
 * The TokenStatus namespace.
 */
export namespace TokenStatus {
  /**
   * Options of a TokenStatus.
   */
  export interface IOptions {
    manager: IPortalTokenManager;
    trans: TranslationBundle;
    /** Open the panel. */
    onClick: () => void;
  }
}

import css from '../../style/base.raw.css';

/**
 * Adds the extension's stylesheet to the page, once: the panel and the status item call it when
 * they are made, so a disabled extension adds none.
 *
 * The builder imports a `.raw.css` file as text. A `styleModule` would instead bundle
 * css-loader's and style-loader's runtime and their licence list: 2.4 KB gzip to load 1.2 KB
 * of CSS, a tenth of the extension's weight (docs/BENCHMARKS.md).
 */
export function attachStylesheet(): void {
  if (document.head.querySelector('style[data-jp-portal-token]')) {
    return;
  }
  const style = document.createElement('style');
  style.dataset.jpPortalToken = 'stylesheet';
  style.textContent = css;
  document.head.appendChild(style);
}

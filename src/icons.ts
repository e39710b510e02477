import { LabIcon } from '@jupyterlab/ui-components';
import keySvg from '../style/icons/key.svg';

/**
 * The key icon of the "API tokens" panel and status item.
 */
export const keyIcon = new LabIcon({
  name: 'jupyterlab-portal-token:key',
  svgstr: keySvg
});

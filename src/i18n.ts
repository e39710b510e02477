/**
 * The translation domain of this extension's strings: `translator.load(TRANSLATION_DOMAIN)`.
 */
export const TRANSLATION_DOMAIN = 'jupyterlab_portal_token';

/**
 * The built-in kinds' default variable names by role: what each portal's own tools read. Kept
 * apart from the clients, so the registry knows them before a client's code is loaded.
 */

/** What `xdmod-data` reads. */
export const XDMOD_ENV_VARS = { token: 'XDMOD_API_TOKEN', host: 'XDMOD_HOST' };

/** What sodar-cli reads. */
export const SODAR_ENV_VARS = {
  token: 'SODAR_API_TOKEN',
  url: 'SODAR_SERVER_URL'
};

/** What Axivion's analysis scripts read. */
export const AXIVION_ENV_VARS = {
  token: 'AXIVION_PASSWORD',
  username: 'AXIVION_USERNAME',
  url: 'AXIVION_DASHBOARD_URL'
};

/**
 * What XDMoD's data warehouse routes answer in the demo: a few fixed records, for a kernel to
 * fetch with an API token.
 */

/** What `/rest/v1/warehouse/resources` lists. */
export const RESOURCES = {
  success: true,
  results: [
    {
      id: 1,
      name: 'demo-cluster',
      resource_type: 'HPC',
      description: 'A small demonstration cluster',
      processors: 1024
    },
    {
      id: 2,
      name: 'demo-cloud',
      resource_type: 'Cloud',
      description: 'A demonstration cloud',
      processors: 256
    }
  ],
  total: 2
};

/** What `/rest/v1/warehouse/raw-data` returns: a few rows of job records. */
export const RAW_DATA = {
  success: true,
  fields: ['job_id', 'resource', 'username', 'cpu_hours'],
  data: [
    [1001, 'demo-cluster', 'demo', 12.5],
    [1002, 'demo-cluster', 'alice', 3.25],
    [1003, 'demo-cloud', 'demo', 0.75]
  ]
};

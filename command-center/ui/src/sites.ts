import { request } from './http';

/** A site's name in both languages, by site id. */
export type SiteNames = Readonly<Record<string, { en: string; 'zh-CN': string }>>;

/** The names of the sites in the user's scope (`GET /api/sites`, routes/org.ts). */
export async function fetchSiteNames(signal?: AbortSignal): Promise<SiteNames> {
  const { sites } = await request<{ sites: { id: string; name: { en: string; 'zh-CN': string } }[] }>('/api/sites', signal ? { signal } : {});
  return Object.fromEntries(sites.map((s) => [s.id, s.name]));
}

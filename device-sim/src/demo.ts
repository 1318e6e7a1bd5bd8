import type { Route } from './route.js';

/** A unit of the five-level organisation tree. */
export interface DemoOrgUnit {
  id: string;
  parentId: string | null;
  level: 1 | 2 | 3 | 4 | 5;
  name: { en: string; 'zh-CN': string };
}

/** A site under an organisation unit. */
export interface DemoSite {
  id: string;
  orgUnitId: string;
  kind: 'prison' | 'rehab' | 'community';
  name: { en: string; 'zh-CN': string };
}

/** A GeoJSON polygon zone. */
export interface DemoZone {
  id: string;
  siteId: string;
  kind: 'exclusion' | 'inclusion';
  name: { en: string; 'zh-CN': string };
  ring: Array<[number, number]>;
}

/** A simulated tag worn by a supervised person. */
export interface DemoTag {
  id: string;
  siteId: string;
  subjectId: string;
  route: Route;
}

/** Everything the demo needs in the registry and the simulator. */
export interface DemoWorld {
  orgUnits: DemoOrgUnit[];
  sites: DemoSite[];
  zones: DemoZone[];
  tags: DemoTag[];
}

const box = (lat: number, lon: number, dLat: number, dLon: number): Array<[number, number]> => [
  [lon - dLon, lat - dLat],
  [lon + dLon, lat - dLat],
  [lon + dLon, lat + dLat],
  [lon - dLon, lat + dLat],
  [lon - dLon, lat - dLat],
];

/**
 * The demo: a ministry-to-township chain, a community-correction office
 * in Hangzhou and a prison, a school as an exclusion zone, and three tags;
 * tag-0001 walks through the school about 45 s after it starts.
 */
export const DEMO: DemoWorld = {
  orgUnits: [
    { id: 'moj', parentId: null, level: 1, name: { en: 'Ministry of Justice', 'zh-CN': '司法部' } },
    { id: 'zj', parentId: 'moj', level: 2, name: { en: 'Zhejiang Department of Justice', 'zh-CN': '浙江省司法厅' } },
    { id: 'zj-hz', parentId: 'zj', level: 3, name: { en: 'Hangzhou Justice Bureau', 'zh-CN': '杭州市司法局' } },
    { id: 'zj-hz-xh', parentId: 'zj-hz', level: 4, name: { en: 'Xihu District Justice Bureau', 'zh-CN': '西湖区司法局' } },
    { id: 'zj-hz-xh-ly', parentId: 'zj-hz-xh', level: 5, name: { en: 'Lingyin Justice Office', 'zh-CN': '灵隐街道司法所' } },
  ],
  sites: [
    { id: 'cc-lingyin', orgUnitId: 'zj-hz-xh-ly', kind: 'community', name: { en: 'Lingyin community corrections', 'zh-CN': '灵隐社区矫正中心' } },
    { id: 'prison-north', orgUnitId: 'zj', kind: 'prison', name: { en: 'North Demo Prison', 'zh-CN': '北郊示范监狱' } },
  ],
  zones: [
    { id: 'zone-school', siteId: 'cc-lingyin', kind: 'exclusion', name: { en: 'Lingyin Primary School', 'zh-CN': '灵隐小学' }, ring: box(30.26, 120.13, 0.001, 0.001) },
  ],
  tags: [
    {
      id: 'tag-0001',
      siteId: 'cc-lingyin',
      subjectId: 'subj-0001',
      route: { speedMps: 4, waypoints: [[120.13, 30.2575], [120.13, 30.26], [120.13, 30.2625], [120.133, 30.2625], [120.133, 30.2575], [120.13, 30.2575]] },
    },
    {
      id: 'tag-0002',
      siteId: 'cc-lingyin',
      subjectId: 'subj-0002',
      route: { speedMps: 1.4, waypoints: [[120.14, 30.25], [120.142, 30.25], [120.142, 30.252], [120.14, 30.25]] },
    },
    {
      id: 'tag-0003',
      siteId: 'cc-lingyin',
      subjectId: 'subj-0003',
      route: { speedMps: 1.2, waypoints: [[120.12, 30.27], [120.121, 30.271], [120.12, 30.27]] },
    },
  ],
};

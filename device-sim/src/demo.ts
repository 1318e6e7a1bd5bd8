import type { Route } from './route.js';
import { box, generateCaseload } from './tags/community.js';
import type { Subject } from './tags/world.js';

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
  /** For a subject's home zone: whose. */
  subjectId?: string;
}

/** A community-correction officer and the subjects on their caseload. */
export interface DemoOfficer {
  id: string;
  siteId: string;
  name: { en: string; 'zh-CN': string };
  subjectIds: string[];
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
  /** The three scripted demo tags (tag-0001 walks through the school). */
  tags: DemoTag[];
  /** The community-correction caseload: subjects with routines, home zones and curfews (device-sim/src/tags). */
  subjects: Subject[];
  officers: DemoOfficer[];
}

/** The Lingyin office's exclusion zones besides the school: places the courts commonly bar. */
const EXCLUSION_ZONES: DemoZone[] = [
  { id: 'zone-school', siteId: 'cc-lingyin', kind: 'exclusion', name: { en: 'Lingyin Primary School', 'zh-CN': '灵隐小学' }, ring: box(30.26, 120.13, 0.001, 0.001) },
  { id: 'zone-kindergarten', siteId: 'cc-lingyin', kind: 'exclusion', name: { en: 'Xixi Kindergarten', 'zh-CN': '西溪幼儿园' }, ring: box(30.2455, 120.118, 0.0008, 0.0009) },
  { id: 'zone-middle-school', siteId: 'cc-lingyin', kind: 'exclusion', name: { en: 'Yuquan Middle School', 'zh-CN': '玉泉中学' }, ring: box(30.271, 120.146, 0.001, 0.0012) },
  { id: 'zone-bar-street', siteId: 'cc-lingyin', kind: 'exclusion', name: { en: 'Shuguang Road bar street', 'zh-CN': '曙光路酒吧街' }, ring: box(30.2665, 120.1565, 0.0006, 0.002) },
  { id: 'zone-stadium', siteId: 'cc-lingyin', kind: 'exclusion', name: { en: 'Huanglong Stadium', 'zh-CN': '黄龙体育中心' }, ring: box(30.2685, 120.1385, 0.0012, 0.0014) },
  { id: 'zone-playground', siteId: 'cc-lingyin', kind: 'exclusion', name: { en: 'Children\'s playground, Xixi Road', 'zh-CN': '西溪路儿童乐园' }, ring: box(30.2525, 120.1255, 0.0005, 0.0006) },
];

/** The caseload: 24 subjects living around the Lingyin office, one in four with a victim under a protection order. */
const SUBJECTS: Subject[] = generateCaseload({
  siteId: 'cc-lingyin',
  centre: { lat: 30.256, lon: 120.134 },
  radiusM: 2500,
  count: 24,
  firstNumber: 4,
  victimEvery: 4,
  keepClearOf: EXCLUSION_ZONES.map((z) => z.ring),
  seed: 2026,
});

const HOME_ZONES: DemoZone[] = SUBJECTS.map((s) => ({
  id: `home-${s.id}`,
  siteId: s.siteId,
  kind: 'inclusion',
  name: { en: `Home of ${s.id}`, 'zh-CN': `${s.id} 住所` },
  ring: box(s.home.lat, s.home.lon, 0.0005, 0.0006),
  subjectId: s.id,
}));

const OFFICER_NAMES: Array<{ en: string; 'zh-CN': string }> = [
  { en: 'Officer Wang Li', 'zh-CN': '王丽 矫正官' },
  { en: 'Officer Chen Hao', 'zh-CN': '陈浩 矫正官' },
  { en: 'Officer Zhao Min', 'zh-CN': '赵敏 矫正官' },
  { en: 'Officer Liu Yang', 'zh-CN': '刘洋 矫正官' },
];

/**
 * The demo: a ministry-to-township chain, a community-correction office
 * in Hangzhou and a prison, a school as an exclusion zone, and three tags;
 * tag-0001 walks through the school about 45 s after it starts. The office
 * also supervises a caseload of 24 subjects (tag-0004 … tag-0027) with home
 * zones, curfews and daily routines, four officers, five more exclusion
 * zones, and six victims' phones (phone-NNNN); their routines keep clear of
 * every exclusion zone, so only injected events (scenarios) breach one.
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
  zones: [...EXCLUSION_ZONES, ...HOME_ZONES],
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
  subjects: SUBJECTS,
  officers: OFFICER_NAMES.map((name, i) => ({
    id: `officer-${i + 1}`,
    siteId: 'cc-lingyin',
    name,
    subjectIds: ['subj-0001', 'subj-0002', 'subj-0003', ...SUBJECTS.map((s) => s.id)].filter((_, k) => k % OFFICER_NAMES.length === i),
  })),
};

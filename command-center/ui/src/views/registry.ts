import type { Component } from 'svelte';
import type { Lang } from '../i18n';
import './views.css';
import DevicesView from './DevicesView.svelte';
import MapView from './MapView.svelte';
import DashboardsView from './DashboardsView.svelte';
import SubjectsView from './SubjectsView.svelte';
import CamerasView from './CamerasView.svelte';
import AuditView from './AuditView.svelte';

/**
 * The views the shell (App.svelte) shows in its navigation besides the alert
 * queue and alert detail: each a Svelte component taking `{ lang }`, reached at
 * `#/<id>`. A view's strings live next to it (en and zh-CN), not in i18n.ts.
 */
export interface ViewEntry {
  id: string;
  label: Record<Lang, string>;
  /** Roles that see it in the navigation; undefined: everyone signed in. */
  roles?: readonly string[];
  component: Component<{ lang: Lang }>;
}

export const extraViews: ViewEntry[] = [
  { id: 'devices', label: { en: 'Devices', 'zh-CN': '设备' }, roles: ['administrator', 'supervisor', 'operator'], component: DevicesView },
  { id: 'map', label: { en: 'Map', 'zh-CN': '地图' }, roles: ['administrator', 'supervisor', 'operator', 'officer'], component: MapView },
  { id: 'dashboards', label: { en: 'Dashboards', 'zh-CN': '统计看板' }, roles: ['administrator', 'supervisor', 'operator'], component: DashboardsView },
  { id: 'subjects', label: { en: 'Subjects', 'zh-CN': '监管对象' }, roles: ['administrator', 'supervisor', 'operator', 'officer'], component: SubjectsView },
  { id: 'cameras', label: { en: 'Cameras', 'zh-CN': '视频墙' }, roles: ['supervisor', 'operator'], component: CamerasView },
  // Only auditors hold audit.read (separation of duties, command-center/src/access/roles.ts).
  { id: 'audit', label: { en: 'Audit', 'zh-CN': '审计' }, roles: ['auditor'], component: AuditView },
];

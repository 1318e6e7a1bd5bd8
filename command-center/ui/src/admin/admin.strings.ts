import type { Lang } from '../i18n';

/** Strings of the administration pages, in both languages. */
export const adminText: Record<
  Lang,
  {
    heading: string;
    tabUsers: string;
    tabDevices: string;
    id: string;
    username: string;
    displayName: string;
    role: string;
    unit: string;
    password: string;
    secondFactor: string;
    status: string;
    actions: string;
    enabled: string;
    disabled: string;
    locked: string;
    yes: string;
    no: string;
    save: string;
    disable: string;
    enable: string;
    unlock: string;
    resetTotp: string;
    resetPassword: string;
    newPassword: string;
    setPassword: string;
    addUser: string;
    create: string;
    site: string;
    kind: string;
    subject: string;
    streamUrl: string;
    online: string;
    offline: string;
    unknown: string;
    revoked: string;
    active: string;
    credentialsChanged: string;
    register: string;
    addDevice: string;
    rotate: string;
    revoke: string;
    confirmRevoke: (id: string) => string;
    secretOnce: (id: string) => string;
    command: string;
    commandName: string;
    commandArgs: string;
    send: string;
    sent: (name: string, status: string) => string;
    argsInvalid: string;
    saved: string;
    loadFailed: string;
    none: string;
    kinds: Record<string, string>;
  }
> = {
  'zh-CN': {
    heading: '系统管理',
    tabUsers: '用户与角色',
    tabDevices: '设备与凭证',
    id: '编号',
    username: '用户名',
    displayName: '姓名',
    role: '角色',
    unit: '单位',
    password: '初始密码',
    secondFactor: '第二重验证',
    status: '状态',
    actions: '操作',
    enabled: '启用',
    disabled: '已停用',
    locked: '已锁定',
    yes: '已绑定',
    no: '未绑定',
    save: '保存',
    disable: '停用',
    enable: '启用',
    unlock: '解锁',
    resetTotp: '重置第二重验证',
    resetPassword: '重置密码',
    newPassword: '新密码',
    setPassword: '设置密码',
    addUser: '新增用户',
    create: '创建',
    site: '场所',
    kind: '类型',
    subject: '监管对象',
    streamUrl: '视频流地址（RTSP）',
    online: '在线',
    offline: '离线',
    unknown: '未知',
    revoked: '已吊销',
    active: '有效',
    credentialsChanged: '凭证更新时间',
    register: '登记',
    addDevice: '登记设备',
    rotate: '更换密钥',
    revoke: '吊销',
    confirmRevoke: (id) => `确定吊销设备 ${id} 的凭证？设备将立即断开。`,
    secretOnce: (id) => `设备 ${id} 的密钥只显示这一次，请立即配置到设备上：`,
    command: '下发指令',
    commandName: '指令名称',
    commandArgs: '参数（JSON）',
    send: '发送',
    sent: (name, status) => `指令 ${name}：${status}`,
    argsInvalid: '参数必须是 JSON 对象。/ Arguments must be a JSON object.',
    saved: '已保存。',
    loadFailed: '加载失败。',
    none: '无',
    kinds: { tag: '电子标签', gate: '门禁', camera: '摄像机', agent: '边缘网关', sensor: '传感器' },
  },
  en: {
    heading: 'Administration',
    tabUsers: 'Users and roles',
    tabDevices: 'Devices and credentials',
    id: 'ID',
    username: 'User name',
    displayName: 'Name',
    role: 'Role',
    unit: 'Unit',
    password: 'First password',
    secondFactor: 'Second factor',
    status: 'Status',
    actions: 'Actions',
    enabled: 'Enabled',
    disabled: 'Disabled',
    locked: 'Locked',
    yes: 'Enrolled',
    no: 'Not enrolled',
    save: 'Save',
    disable: 'Disable',
    enable: 'Enable',
    unlock: 'Unlock',
    resetTotp: 'Reset second factor',
    resetPassword: 'Reset password',
    newPassword: 'New password',
    setPassword: 'Set password',
    addUser: 'Add a user',
    create: 'Create',
    site: 'Site',
    kind: 'Kind',
    subject: 'Subject',
    streamUrl: 'Stream address (RTSP)',
    online: 'Online',
    offline: 'Offline',
    unknown: 'Unknown',
    revoked: 'Revoked',
    active: 'Active',
    credentialsChanged: 'Credentials changed',
    register: 'Register',
    addDevice: 'Register a device',
    rotate: 'New secret',
    revoke: 'Revoke',
    confirmRevoke: (id) => `Revoke the credentials of ${id}? The device is disconnected at once.`,
    secretOnce: (id) => `The secret of ${id} is shown only this once; put it on the device now:`,
    command: 'Send a command',
    commandName: 'Command',
    commandArgs: 'Arguments (JSON)',
    send: 'Send',
    sent: (name, status) => `Command ${name}: ${status}`,
    argsInvalid: 'Arguments must be a JSON object. / 参数必须是 JSON 对象。',
    saved: 'Saved.',
    loadFailed: 'Could not load.',
    none: 'None',
    kinds: { tag: 'Tag', gate: 'Gate', camera: 'Camera', agent: 'Edge agent', sensor: 'Sensor' },
  },
};

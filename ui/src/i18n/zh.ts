// 中文 (the default). Every key here must exist in en.ts too; a test checks both ways.
export const zh = {
  "app.title": "网格巡查",
  "nav.grid": "我的网格",
  "nav.new": "上报",
  "nav.queue": "待上传",
  "nav.tasks": "核查任务",
  "nav.settings": "设置",
  "kind.component": "部件",
  "kind.event": "事件",
  "category.search": "搜索类别（名称或代码）",
  "category.recent": "最近使用",
  "queue.empty": "全部已上传",
  "queue.waiting": "{reports} 份上报、{photos} 张照片（{size}）待上传",
  "queue.lastSync": "上次同步：{when}",
  "queue.never": "尚未同步",
  "queue.syncNow": "立即同步",
  "settings.language": "语言",
  "settings.server": "服务器地址",
  "settings.token": "设备令牌",
} as const;

export type Key = keyof typeof zh;

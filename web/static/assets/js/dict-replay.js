// The words of the replay page and the after-show report, in English and Simplified
// Chinese; i18n.js merges them into the one dictionary.

export const REPLAY = {
  en: {
  },
  'zh-CN': {
  },
};

// The words of the presale page, my tickets, the offer editor and the admission screen, in English and Simplified
// Chinese; i18n.js merges them into the one dictionary.

export const PRESALE = {
  en: {
  },
  'zh-CN': {
  },
};

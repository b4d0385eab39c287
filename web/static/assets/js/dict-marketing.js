// The words of coupons, draws, red packets and gifts (studio and viewer), in English and Simplified
// Chinese; i18n.js merges them into the one dictionary.

export const MARKETING = {
  en: {
  },
  'zh-CN': {
  },
};

// Words of every page in English and Simplified Chinese. The language is
// the one the person chose (the switch, kept in localStorage), else the
// browser's (navigator.languages); prices are formatted for that language
// and the product's currency with Intl.NumberFormat.

import { ApiError } from './api.js';
import { DICT as CORE } from './dict.js';
import { PRESALE } from './dict-presale.js';
import { MARKETING } from './dict-marketing.js';
import { REPLAY } from './dict-replay.js';

// One dictionary from the core one and each area's own file (an area keeps
// its words in dict-<area>.js so that areas never edit the same lines).
const DICT = { en: {}, 'zh-CN': {} };
for (const d of [CORE, PRESALE, MARKETING, REPLAY]) {
  for (const l of Object.keys(DICT)) Object.assign(DICT[l], d[l] || {});
}

export const LANGS = ['en', 'zh-CN'];
const KEY = 'livesell.lang';

function pick(list) {
  for (const l of list) {
    const s = String(l || '').toLowerCase();
    if (s.startsWith('zh')) return 'zh-CN';
    if (s.startsWith('en')) return 'en';
  }
  return 'en';
}

let stored = '';
try { stored = localStorage.getItem(KEY) || ''; } catch (_) { /* storage blocked (third-party frame) */ }
let lang = LANGS.includes(stored) ? stored : pick(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);

/** The language in use: en or zh-CN. */
export function currentLang() { return lang; }

/** Uses l (en | zh-CN) from now on and remembers it; false if unknown. */
export function setLang(l) {
  if (!LANGS.includes(l)) return false;
  lang = l;
  try { localStorage.setItem(KEY, l); } catch (_) { /* not kept */ }
  return true;
}

/** Uses l for this page only (an embed's lang attribute). */
export function useLang(l) { if (LANGS.includes(l)) lang = l; else if (l) lang = pick([l]); }

/**
 * The words for key in the current language, with {name} replaced from
 * vars. fallback is used when no dictionary has the key.
 */
export function t(key, vars, fallback) {
  if (typeof vars === 'string') { fallback = vars; vars = undefined; }
  let s = (DICT[lang] && DICT[lang][key]) ?? DICT.en[key] ?? fallback ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined ? String(vars[k]) : m));
  return s;
}

/** Formats integer minor units of currency for the current language. */
export function money(minor, currency = 'USD') {
  const cur = String(currency || 'USD').toUpperCase();
  let digits = 2;
  try { digits = new Intl.NumberFormat('en', { style: 'currency', currency: cur }).resolvedOptions().maximumFractionDigits; } catch (_) { /* unknown currency */ }
  const n = Number(minor || 0) / 10 ** digits;
  try {
    return new Intl.NumberFormat(lang, { style: 'currency', currency: cur, currencyDisplay: 'narrowSymbol' }).format(n);
  } catch (_) {
    return `${n.toFixed(digits)} ${cur}`;
  }
}

/** The number of fraction digits of a currency (2 for USD and CNY, 0 for JPY). */
export function currencyDigits(currency) {
  try { return new Intl.NumberFormat('en', { style: 'currency', currency: String(currency || 'USD').toUpperCase() }).resolvedOptions().maximumFractionDigits; } catch (_) { return 2; }
}

/**
 * Reads an amount typed in the currency's major unit ("89", "89.5",
 * "89.00", "1,299.00", "89,00") into integer minor units; NaN if it is not
 * an amount or has more decimals than the currency.
 */
export function toMinor(text, currency) {
  const d = currencyDigits(currency);
  let s = String(text || '').trim().replace(/[\s¥$€£]/g, '');
  if (s.includes('.') && s.includes(',')) s = s.replace(/,/g, '');
  else if (/^\d+,\d{1,2}$/.test(s)) s = s.replace(',', '.');
  else s = s.replace(/,(?=\d{3}(\D|$))/g, '');
  const m = /^(\d{1,12})(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] && m[2].length > d)) return NaN;
  const frac = (m[2] || '').padEnd(d, '0');
  return Number(m[1]) * 10 ** d + (d ? Number(frac) : 0);
}

/** Formats minor units as a plain major-unit number for an input ("89.00"). */
export function toMajor(minor, currency) {
  const d = currencyDigits(currency);
  return (Number(minor || 0) / 10 ** d).toFixed(d);
}

/** Formats a whole number for the current language. */
export function num(n) { return new Intl.NumberFormat(lang).format(Number(n) || 0); }

/**
 * A sentence a buyer understands for an API error: one per known code,
 * never the server's technical message.
 */
export function buyerMessage(err) {
  if (!(err instanceof ApiError)) return t('err.network');
  const key = `err.${err.code}`;
  const vars = { seconds: err.retryAfter || 30 };
  if (DICT.en[key]) return t(key, vars);
  if (err.status === 401) return t('err.missing_token');
  if (err.status === 403) return t('err.room_forbidden');
  if (err.status === 429) return t('err.rate_limited', vars);
  if (err.status >= 500) return t('err.server');
  return t('err.generic');
}

/** Sets the text of every [data-i18n] element under root (static pages). */
export function translatePage(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n, el.textContent);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder, el.placeholder);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel, el.getAttribute('aria-label') || ''));
}

/**
 * Adds a language switch (a <select>) to parent; choosing reloads the
 * page in that language.
 */
export function languageSwitch(parent) {
  const sel = document.createElement('select');
  sel.className = 'lang-switch';
  sel.setAttribute('aria-label', t('lang.label'));
  for (const l of LANGS) {
    const o = document.createElement('option');
    o.value = l;
    o.textContent = DICT[l]['lang.name'];
    o.selected = l === lang;
    sel.append(o);
  }
  sel.addEventListener('change', () => { if (setLang(sel.value)) location.reload(); });
  parent.append(sel);
  return sel;
}

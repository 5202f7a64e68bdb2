// The page's language: its catalog comes embedded in the page (#page-config); no text lives in JS.
export const config = JSON.parse(document.getElementById("page-config").textContent);

const catalog = config.catalog;
const locale = config.lang === "en" ? "en-GB" : "id-ID";

const plurals = new Intl.PluralRules(locale);

/** A count's form of key ("ballot.votes.one" / ".other", as the language's plural rules pick), else key. */
function lookup(key, n) {
  if (typeof n !== "number") return catalog[key];
  return catalog[`${key}.${plurals.select(n)}`] ?? catalog[`${key}.other`] ?? catalog[key];
}

/** The catalog text for key, with {name} placeholders filled in; a numeric {n} picks the plural form. */
export function t(key, params = {}) {
  let text = lookup(key, params.n) ?? key;
  for (const [name, value] of Object.entries(params)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

/** t() for keys that may be missing (e.g. an error code the catalog does not know). */
export function tMaybe(key) {
  return catalog[key];
}

const rupiahFormat = new Intl.NumberFormat(locale, { style: "currency", currency: "IDR", maximumFractionDigits: 0 });
const numberFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
const clockFormat = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });

export const rupiah = (n) => rupiahFormat.format(n);
export const number = (n) => numberFormat.format(n);
export const clock = (epochSeconds) => clockFormat.format(new Date(epochSeconds * 1000));

/** "m:ss" of a whole number of seconds (never negative). */
export function minutes(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

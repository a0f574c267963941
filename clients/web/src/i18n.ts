// Japanese first, English where it is cheap: every text is written as tr("日本語", "English").
// The choice lives in memory only (the console keeps nothing in the browser's storage).
let language: "ja" | "en" = "ja";
const listeners = new Set<() => void>();

export function currentLanguage(): "ja" | "en" {
  return language;
}

export function setLanguage(next: "ja" | "en"): void {
  language = next;
  document.documentElement.lang = next;
  listeners.forEach((listener) => listener());
}

export function onLanguageChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The text in the current language; Japanese when no English is given. */
export function tr(ja: string, en?: string): string {
  return language === "en" && en ? en : ja;
}

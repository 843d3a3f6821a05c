import { useEffect, useState } from 'preact/hooks';

/** One clock for every relative time on the page, ticking every 10 s (times update without a reload). */
const listeners = new Set<(now: number) => void>();
let timer: ReturnType<typeof setInterval> | undefined;

export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    listeners.add(setNow);
    timer ??= setInterval(() => {
      const t = Date.now();
      for (const fn of listeners) fn(t);
    }, 10_000);
    return () => {
      listeners.delete(setNow);
      if (listeners.size === 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    };
  }, []);
  return now;
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

export function relative(iso: string, now: number): string {
  const diff = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return rtf.format(Math.round(diff / ms), unit);
  }
  return Math.abs(diff) < 10_000 ? 'just now' : rtf.format(Math.round(diff / 1000), 'second');
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-30 13:45 UTC` */
export function utc(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

const localFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });

/** The viewer's local time, with its zone. */
export function local(iso: string): string {
  return localFormat.format(new Date(iso));
}

/** A UTC time of day ({hours, minutes}) as the viewer's local time of day today. */
export function localTimeOfDay(hours: number, minutes: number): string {
  const d = new Date();
  d.setUTCHours(hours, minutes, 0, 0);
  return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(d);
}

export const hhmm = (t: { hours: number; minutes: number }) => `${pad(t.hours)}:${pad(t.minutes)}`;

/** The parts of an `HH:MM` input; either is undefined when missing (the server then names the field). */
export function parseHhmm(text: string): { hours: number | undefined; minutes: number | undefined } {
  const [hours, minutes] = text.split(':').map((x) => (x === '' ? NaN : Number(x)));
  const part = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n : undefined);
  return { hours: part(hours), minutes: part(minutes) };
}

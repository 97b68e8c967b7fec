// Expand every event of an .ics file between two instants with Mozilla's ical.js, the parser
// inside Thunderbird and many web calendars; print each occurrence's UTC start and end as JSON.
// Usage: node expand-ics.mjs FILE START END   (START and END in ISO 8601, UTC)
import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';

const [file, startText, endText] = process.argv.slice(2);
const calendar = new ICAL.Component(ICAL.parse(readFileSync(file, 'utf8')));
// As a calendar program does: the file's own VTIMEZONE blocks say what each TZID means,
// and an event with a RECURRENCE-ID replaces one occurrence of the event with its UID.
for (const block of calendar.getAllSubcomponents('vtimezone')) {
  ICAL.TimezoneService.register(new ICAL.Timezone(block));
}
const masters = new Map();
const exceptions = [];
for (const component of calendar.getAllSubcomponents('vevent')) {
  const event = new ICAL.Event(component);
  if (event.isRecurrenceException()) exceptions.push(event);
  else masters.set(event.uid, event);
}
for (const exception of exceptions) masters.get(exception.uid).relateException(exception);

const start = ICAL.Time.fromJSDate(new Date(startText), true);
const end = ICAL.Time.fromJSDate(new Date(endText), true);
const out = [];
for (const event of masters.values()) {
  const iterator = event.iterator();
  for (let next = iterator.next(); next; next = iterator.next()) {
    const details = event.getOccurrenceDetails(next);
    if (details.recurrenceId.compare(end) >= 0) break;
    if (details.startDate.compare(end) >= 0 || details.endDate.compare(start) <= 0) continue;
    out.push([
      event.uid,
      details.startDate.toJSDate().toISOString(),
      details.endDate.toJSDate().toISOString(),
    ]);
  }
}
process.stdout.write(JSON.stringify(out));

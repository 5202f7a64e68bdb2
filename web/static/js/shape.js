// Reading the hub's read models ("session", "roster", "attendance", "agenda", "board", "ballots",
// "queue", "floor", "speaking") in one place, so the pages do not each know their exact JSON.

const rows = (model, key) => (Array.isArray(model) ? model : model?.[key] ?? []);

/** A row's identity: read models name it after what it is ("proposal", "ballot", "village") or "id". */
export const idOf = (row, kind) => row?.[kind] ?? row?.id ?? row?.code;

export const proposals = (models) => rows(models.board, "proposals");
export const ballots = (models) => rows(models.ballots, "ballots");
export const queue = (models) => rows(models.queue, "entries");
export const roster = (models) => rows(models.roster, "villages");
export const attendance = (models) => rows(models.attendance, "villages");
export const agendaItems = (models) => rows(models.agenda, "items");

export function byId(list, kind) {
  return new Map(list.map((row) => [idOf(row, kind), row]));
}

/** Points and voters per option of a ballot (tallies come as rows or as {option: points}). */
export function tallies(ballot) {
  const out = new Map();
  const raw = ballot.tallies ?? [];
  if (Array.isArray(raw)) {
    for (const row of raw) out.set(idOf(row, "proposal"), { points: row.points ?? 0, voters: row.voters ?? 0 });
  } else {
    for (const [option, value] of Object.entries(raw)) {
      out.set(option, typeof value === "number" ? { points: value, voters: value } : value);
    }
  }
  return out;
}

/** The village a connected page speaks for, with its roster row. */
export function myVillage(models, me) {
  return roster(models).find((v) => idOf(v, "village") === me?.id);
}

export const isOpen = (ballot) => ballot.status === "open";

/** Who holds the floor: {village, name, kecamatan} or null. */
export function holderOf(models) {
  const holder = models.floor?.holder;
  if (!holder) return null;
  if (typeof holder === "object") return { village: idOf(holder, "village"), ...holder };
  const row = roster(models).find((v) => idOf(v, "village") === holder);
  return { village: holder, name: row?.name ?? holder, kecamatan: row?.kecamatan ?? "" };
}

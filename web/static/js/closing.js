// A closed session: every page says so at the top with the final results, and body[data-session]
// lets the stylesheet take away what no longer applies (everything marked .live-only).
import { $, h, patch, show } from "./dom.js";
import { clock, t } from "./i18n.js";
import { ballots, idOf } from "./shape.js";
import { ballotHeader, ballotStanding } from "./views.js";

export const isClosed = (models) => models.session?.status === "closed";

export function closedView(live) {
  live.watch((changed) => {
    if (!["session", "ballots", "board"].some((n) => changed.has(n)) || !live.models.session) return;
    const session = live.models.session;
    document.body.dataset.session = session.status;
    show($("session-closed"), isClosed(live.models));
    if (!isClosed(live.models)) return;
    $("session-closed-lead").textContent = session.closed_at
      ? t("closed.lead_at", { time: clock(session.closed_at) }) : t("closed.lead");
    const results = ballots(live.models).filter((b) => b.result);
    patch($("session-closed-results"), results.length
      ? results.map((b) => h("article", { class: "ballot", dataset: { ballot: idOf(b, "ballot") } },
        ballotHeader(b), ballotStanding(b, live.models)))
      : h("p", { class: "empty" }, t("closed.no_ballots")));
  });
}

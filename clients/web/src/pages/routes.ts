// Every page of the console and who may open it. The server enforces need-to-know on every call;
// these roles only keep people from pages that could show them nothing.
import type { Route } from "../router";
import { CaseListPage } from "./case_list";
import { CasePage } from "./case_page";
import { CasePrintPage } from "./case_print";
import { DirectoryPage, AgencyPage } from "./directory";
import { DispatchesPage, DispatchPage } from "./dispatches";
import { HomePage } from "./home";
import { IntakePage } from "./intake";
import { MeetingsPage, MeetingPage, MeetingPrintPage, NewMeetingPage } from "./meetings";
import { PlanPage } from "./plans";
import { ReferralsPage } from "./referrals";
import { StatisticsPage } from "./statistics";
import { WelfarePlansPage } from "./welfare_plans";

const CASE_WORKERS = ["COORDINATOR", "AGENCY_STAFF", "ADVISER"];
const PLANNING = ["PLANNER", "COORDINATOR"];

export const ROUTES: Route[] = [
  { pattern: "/", page: HomePage },
  { pattern: "/cases", page: CaseListPage, roles: CASE_WORKERS },
  { pattern: "/cases/new", page: IntakePage, roles: ["COORDINATOR"] },
  { pattern: "/cases/:id", page: CasePage, roles: CASE_WORKERS },
  { pattern: "/cases/:id/print", page: CasePrintPage, roles: CASE_WORKERS },
  { pattern: "/cases/:id/plan", page: PlanPage, roles: CASE_WORKERS },
  { pattern: "/cases/:id/meetings/new", page: NewMeetingPage, roles: ["COORDINATOR"] },
  { pattern: "/referrals", page: ReferralsPage, roles: ["AGENCY_STAFF", "COORDINATOR"] },
  { pattern: "/meetings", page: MeetingsPage, roles: CASE_WORKERS },
  { pattern: "/meetings/:id", page: MeetingPage, roles: CASE_WORKERS },
  { pattern: "/meetings/:id/print", page: MeetingPrintPage, roles: CASE_WORKERS },
  { pattern: "/dispatches", page: DispatchesPage, roles: ["COORDINATOR", "ADVISER"] },
  { pattern: "/dispatches/:id", page: DispatchPage, roles: ["COORDINATOR", "ADVISER"] },
  { pattern: "/directory", page: DirectoryPage, roles: CASE_WORKERS },
  { pattern: "/directory/:id", page: AgencyPage, roles: CASE_WORKERS },
  { pattern: "/statistics", page: StatisticsPage, roles: PLANNING },
  { pattern: "/welfare-plans", page: WelfarePlansPage, roles: PLANNING },
];

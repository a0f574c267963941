// The navigation each role sees, in the order of its working day.
import { tr } from "./i18n";

export interface NavItem {
  href: string;
  label: () => string;
  roles: string[];
}

export const NAV: NavItem[] = [
  { href: "#/", label: () => tr("ホーム", "Home"), roles: ["COORDINATOR", "AGENCY_STAFF", "ADVISER"] },
  { href: "#/cases", label: () => tr("事例一覧", "Cases"), roles: ["COORDINATOR", "AGENCY_STAFF", "ADVISER"] },
  { href: "#/cases/new", label: () => tr("新規受付", "New intake"), roles: ["COORDINATOR"] },
  { href: "#/referrals", label: () => tr("紹介", "Referrals"), roles: ["AGENCY_STAFF"] },
  { href: "#/meetings", label: () => tr("会議", "Meetings"), roles: ["COORDINATOR", "AGENCY_STAFF", "ADVISER"] },
  { href: "#/dispatches", label: () => tr("アドバイザー派遣", "Adviser dispatch"), roles: ["COORDINATOR", "ADVISER"] },
  { href: "#/directory", label: () => tr("相談機関一覧", "Agencies"), roles: ["COORDINATOR", "AGENCY_STAFF", "ADVISER"] },
  { href: "#/statistics", label: () => tr("事業実績", "Yearly table"), roles: ["PLANNER", "COORDINATOR"] },
  { href: "#/welfare-plans", label: () => tr("推進計画", "Welfare plan"), roles: ["PLANNER", "COORDINATOR"] },
];

export const ROLE_LABELS: Record<string, () => string> = {
  ADMIN: () => tr("管理者", "Admin"),
  COORDINATOR: () => tr("相談支援包括化推進員", "Coordinator"),
  AGENCY_STAFF: () => tr("相談機関職員", "Agency staff"),
  ADVISER: () => tr("アドバイザー", "Adviser"),
  PLANNER: () => tr("計画担当", "Planner"),
  AUDITOR: () => tr("監査担当", "Auditor"),
};

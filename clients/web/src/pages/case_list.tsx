// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function CaseListPage(_: { params: Record<string, string> }) { return <PageTitle>CaseListPage</PageTitle>; }

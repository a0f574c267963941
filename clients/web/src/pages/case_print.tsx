// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function CasePrintPage(_: { params: Record<string, string> }) { return <PageTitle>CasePrintPage</PageTitle>; }

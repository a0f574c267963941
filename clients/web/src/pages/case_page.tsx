// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function CasePage(_: { params: Record<string, string> }) { return <PageTitle>CasePage</PageTitle>; }

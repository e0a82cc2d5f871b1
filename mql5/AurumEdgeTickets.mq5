//+------------------------------------------------------------------+
//| AurumEdgeTickets.mq5                                             |
//| The Aurum Edge gold desk's Expert Advisor (docs/gold-desk.md).   |
//| Polls the Aurum Edge control API for open trade tickets (gold    |
//| signals a person approved), places each one at the broker with   |
//| its stop and target, and reports the fill back (ticket_fill) or  |
//| why it was not placed (ticket_cancel). A ticket is placed once:   |
//| the ids already handled are kept in the terminal's global        |
//| variables, so a restart of the terminal never sends one twice.   |
//|                                                                  |
//| Setup: Tools > Options > Expert Advisors > "Allow WebRequest for |
//| listed URL": add the control API's URL (http://127.0.0.1:PORT,   |
//| PORT from <workspace>/data/daemon.json). The token is the text of |
//| <workspace>/data/control.token. The control API listens on        |
//| 127.0.0.1 only: run the terminal on the same machine (or forward |
//| the port over SSH).                                              |
//+------------------------------------------------------------------+
#property copyright "Aurum Edge"
#property version   "1.00"
#property strict

#include <Trade/Trade.mqh>

input string InpApiUrl      = "http://127.0.0.1:8502"; // control API base URL
input string InpToken       = "";                      // data/control.token
input string InpAurumSymbol = "XAUUSD";                // the ticket symbol this EA places
input string InpBrokerSymbol = "XAUUSD";               // the broker's name for it
input int    InpPollSeconds = 10;                      // how often to ask for open tickets
input ulong  InpMagic       = 770077;                  // magic number of the EA's orders
input int    InpDeviation   = 30;                      // max slippage in points

CTrade trade;

//--- the text of a JSON field in a flat object ("key": value)
string JsonField(const string obj, const string key)
  {
   string pat = "\"" + key + "\":";
   int p = StringFind(obj, pat);
   if(p < 0) return "";
   p += StringLen(pat);
   while(p < StringLen(obj) && StringGetCharacter(obj, p) == ' ') p++;
   if(StringGetCharacter(obj, p) == '"')
     {
      int e = StringFind(obj, "\"", p + 1);
      return StringSubstr(obj, p + 1, e - p - 1);
     }
   int e = p;
   while(e < StringLen(obj))
     {
      ushort c = StringGetCharacter(obj, e);
      if(c == ',' || c == '}') break;
      e++;
     }
   return StringSubstr(obj, p, e - p);
  }

//--- one HTTP request to the control API; returns the status, body in `reply`
int Api(const string method, const string path, const string body, string &reply)
  {
   char data[], result[];
   string headers = "Authorization: Bearer " + InpToken + "\r\nContent-Type: application/json\r\n";
   string result_headers;
   if(StringLen(body) > 0) StringToCharArray(body, data, 0, StringLen(body), CP_UTF8);
   int status = WebRequest(method, InpApiUrl + path, headers, 5000, data, result, result_headers);
   reply = CharArrayToString(result, 0, WHOLE_ARRAY, CP_UTF8);
   if(status == -1) Print("Aurum Edge: WebRequest failed (", GetLastError(), "): is ", InpApiUrl, " allowed in the options?");
   return status;
  }

string Handled(const long id) { return "aurum_ticket_" + IntegerToString(id); }

//--- reports what happened to ticket `id`; marks it handled once the API accepted it
void Report(const long id, const string kind, const string body)
  {
   string reply;
   int status = Api("POST", "/api/commands/" + kind, body, reply);
   if(status == 200 || status == 400) // 400: the API refused it for good (e.g. already closed)
      GlobalVariableSet(Handled(id), (double)TimeCurrent());
   Print("Aurum Edge: ", kind, " #", id, " -> HTTP ", status, " ", reply);
  }

void PlaceTicket(const string obj)
  {
   long id = StringToInteger(JsonField(obj, "id"));
   if(id <= 0 || GlobalVariableCheck(Handled(id))) return;
   if(JsonField(obj, "symbol") != InpAurumSymbol) return;
   string side = JsonField(obj, "side");
   double lots = StringToDouble(JsonField(obj, "lots"));
   double stop = StringToDouble(JsonField(obj, "stop"));
   double target = StringToDouble(JsonField(obj, "target"));
   trade.SetExpertMagicNumber(InpMagic);
   trade.SetDeviationInPoints(InpDeviation);
   string comment = "aurum #" + IntegerToString(id);
   bool sent = side == "buy" ? trade.Buy(lots, InpBrokerSymbol, 0.0, stop, target, comment)
                             : trade.Sell(lots, InpBrokerSymbol, 0.0, stop, target, comment);
   uint rc = trade.ResultRetcode();
   if(sent && (rc == TRADE_RETCODE_DONE || rc == TRADE_RETCODE_DONE_PARTIAL) && trade.ResultVolume() > 0)
     {
      string body = StringFormat("{\"id\": %I64d, \"price\": %.5f, \"lots\": %.2f, \"broker_ticket\": \"%I64u\", \"reason\": \"AurumEdgeTickets EA\"}",
                                 id, trade.ResultPrice(), trade.ResultVolume(), trade.ResultDeal());
      Report(id, "ticket_fill", body);
     }
   else
     {
      string why = StringFormat("MT5 retcode %u: %s", rc, trade.ResultRetcodeDescription());
      StringReplace(why, "\"", "'");
      Report(id, "ticket_cancel", StringFormat("{\"id\": %I64d, \"reason\": \"%s\"}", id, why));
     }
  }

void Poll()
  {
   string reply;
   if(Api("GET", "/api/tickets?status=open", "", reply) != 200) return;
   // A JSON array of flat ticket objects: take each {...} in turn.
   int from = 0;
   while(true)
     {
      int b = StringFind(reply, "{", from);
      if(b < 0) break;
      int e = StringFind(reply, "}", b);
      if(e < 0) break;
      PlaceTicket(StringSubstr(reply, b, e - b + 1));
      from = e + 1;
     }
  }

int OnInit()
  {
   if(StringLen(InpToken) == 0)
     {
      Print("Aurum Edge: set InpToken to the text of <workspace>/data/control.token");
      return INIT_PARAMETERS_INCORRECT;
     }
   EventSetTimer(MathMax(1, InpPollSeconds));
   Poll();
   return INIT_SUCCEEDED;
  }

void OnDeinit(const int reason) { EventKillTimer(); }

void OnTimer() { Poll(); }

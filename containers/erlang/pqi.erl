%% pqi: the pqinterop peer contract (docs/peer-contract.md) on Erlang/OTP's ssl application.
%%
%%   pqi-erlang server --port N --cert F --key F [flags]   listens on 127.0.0.1:N, echoes one line
%%   pqi-erlang client --port N --ca F [flags]             sends one line, reads it back
%%   pqi-erlang version                                    OTP, ssl and libcrypto versions
%%
%% One JSON line per connection on stdout. Exit codes: 0 all connections ok, 1 one failed,
%% 2 usage error, 127 a configuration OTP ssl cannot do (the last stderr line says why).
%%
%% ssl:connection_information/2 tells the group, cipher suite and resumption. The rest (a
%% HelloRetryRequest, the server's CertificateVerify scheme, the certificate this side sent, 0-RTT
%% acceptance) ssl logs as handshake records at log level debug: log/2 below is a logger handler
%% that forwards those records to the main process, which reads them per connection.
-module(pqi).
-export([main/0, log/2]).

-define(TIMEOUT, 15000).
-define(HRR_RANDOM, <<207,33,173,116,229,154,97,17,190,29,140,2,30,101,184,145,194,162,17,22,
                      122,187,140,94,7,158,9,226,200,168,51,156>>).
-define(GROUPS, [{"x25519", x25519}, {"secp256r1", secp256r1}, {"secp384r1", secp384r1},
                 {"MLKEM512", mlkem512}, {"MLKEM768", mlkem768}, {"MLKEM1024", mlkem1024},
                 {"X25519MLKEM768", x25519mlkem768}, {"SecP256r1MLKEM768", secp256r1mlkem768},
                 {"SecP384r1MLKEM1024", secp384r1mlkem1024}]).
-define(SCHEMES, [{"ecdsa_secp256r1_sha256", ecdsa_secp256r1_sha256},
                  {"ecdsa_secp384r1_sha384", ecdsa_secp384r1_sha384}, {"ed25519", eddsa_ed25519},
                  {"rsa_pss_rsae_sha256", rsa_pss_rsae_sha256},
                  {"rsa_pss_rsae_sha384", rsa_pss_rsae_sha384},
                  {"mldsa44", mldsa44}, {"mldsa65", mldsa65}, {"mldsa87", mldsa87}]).
-define(SUITES, ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                 "TLS_CHACHA20_POLY1305_SHA256"]).
%% Contract flags: name => {roles, takes a value}.
-define(FLAGS, #{"port" => {both, true}, "cert" => {both, true}, "key" => {both, true},
                 "chain" => {both, true}, "ca" => {both, true}, "groups" => {both, true},
                 "cipher-suites" => {both, true}, "signature-schemes" => {both, true},
                 "psk-identity" => {both, true}, "psk-key" => {both, true},
                 "psk-hash" => {both, true}, "psk-mode" => {both, true},
                 "psk-import" => {both, false}, "cert-with-psk" => {both, true},
                 "http" => {both, false}, "prefer-hrr" => {"server", false},
                 "client-auth" => {"server", false}, "count" => {"server", true},
                 "tickets" => {"server", true}, "max-early-data" => {"server", true},
                 "server-name" => {"client", true}, "message" => {"client", true},
                 "expect-echo" => {"client", false}, "key-shares" => {"client", true},
                 "resume" => {"client", false}, "resume-groups" => {"client", true},
                 "early-data" => {"client", true}}).

main() ->
    Code = try run(init:get_plain_arguments())
           catch throw:{usage, Why} -> say("pqi-erlang: " ++ Why), 2;
                 throw:{lacks, Why} -> say("unsupported: lacks: " ++ Why), 127
           end,
    erlang:halt(Code).

say(Text) -> io:format(standard_error, "~ts~n", [Text]).

run(["version"]) ->
    {ok, OtpVersion} = file:read_file(filename:join([code:root_dir(), "releases",
                                                     erlang:system_info(otp_release), "OTP_VERSION"])),
    application:load(ssl),
    {ok, Ssl} = application:get_key(ssl, vsn),
    [{_, _, Crypto}] = crypto:info_lib(),
    io:format("Erlang/OTP ~ts ssl ~ts (~ts)~n", [string:trim(OtpVersion), Ssl, Crypto]),
    0;
run([Role | Args]) when Role =:= "server"; Role =:= "client" ->
    Opts = parse(Role, Args, #{}),
    refuse_unsupported(Opts),
    {ok, _} = application:ensure_all_started(ssl),
    observe(),
    case Role of "server" -> server(Opts); "client" -> client(Opts) end;
run(_) ->
    throw({usage, "the first argument must be server, client or version"}).

%% ------------------------------------------------------------------ flags

parse(_, [], Opts) -> check(Opts);
parse(Role, ["--" ++ Name | Rest], Opts) ->
    case maps:get(Name, ?FLAGS, none) of
        {R, _} when R =/= both, R =/= Role -> throw({usage, "unknown " ++ Role ++ " flag --" ++ Name});
        {_, false} -> parse(Role, Rest, Opts#{Name => true});
        {_, true} when Name =:= "cert-with-psk", (Rest =:= [] orelse hd(hd(Rest)) =:= $-) ->
            parse(Role, Rest, Opts#{Name => "allow"});
        {_, true} when Rest =:= [] -> throw({usage, "--" ++ Name ++ " needs a value"});
        {_, true} -> parse(Role, tl(Rest), Opts#{Name => hd(Rest)});
        none -> throw({usage, "unknown " ++ Role ++ " flag --" ++ Name})
    end;
parse(Role, [Other | _], _) -> throw({usage, "unknown " ++ Role ++ " argument " ++ Other}).

check(Opts) ->
    [names(Opts, F, [N || {N, _} <- ?GROUPS]) || F <- ["groups", "resume-groups", "key-shares"]],
    names(Opts, "cipher-suites", ?SUITES),
    names(Opts, "signature-schemes", [N || {N, _} <- ?SCHEMES]),
    [number(Opts, F, 0) || F <- ["port", "count", "tickets", "max-early-data"]],
    [throw({usage, "--" ++ F ++ ": cannot read " ++ P})
     || F <- ["cert", "key", "chain", "ca"], {ok, P} <- [maps:find(F, Opts)],
        not filelib:is_regular(P)],
    Opts.

names(Opts, Flag, Known) ->
    [throw({usage, "--" ++ Flag ++ ": unknown name " ++ N}) || N <- list(Opts, Flag),
                                                               not lists:member(N, Known)].

list(Opts, Flag) ->
    case maps:get(Flag, Opts, "") of "none" -> []; V -> string:lexemes(V, ",") end.

number(Opts, Flag, Default) ->
    case maps:find(Flag, Opts) of
        error -> Default;
        {ok, V} -> try list_to_integer(V) catch _:_ -> throw({usage, "--" ++ Flag ++ " must be a number"}) end
    end.

atoms(Opts, Flag, Table) -> [proplists:get_value(N, Table) || N <- list(Opts, Flag)].

refuse_unsupported(Opts) ->
    [throw({lacks, "OTP ssl has no external PSKs in TLS 1.3 (its PSK options are TLS 1.2 cipher suites)"})
     || F <- ["psk-identity", "psk-key", "psk-hash", "psk-mode", "psk-import"], maps:is_key(F, Opts)],
    maps:is_key("cert-with-psk", Opts) andalso
        throw({lacks, "OTP ssl does not implement RFC 9973 tls_cert_with_extern_psk"}),
    maps:is_key("prefer-hrr", Opts) andalso
        throw({lacks, "an OTP ssl server takes the first group of its own list that the client "
               "shared; it asks by HelloRetryRequest only when the client shared none of them"}),
    ok.

%% ------------------------------------------------------------------ configuration

%% Options both roles share. TLS 1.3 only; log level debug feeds the observer.
common(Opts, Groups) ->
    [{versions, ['tlsv1.3']}, {active, false}, binary, {log_level, debug}]
    ++ [{supported_groups, Groups} || Groups =/= []]
    ++ [{ciphers, [ssl:str_to_suite(S) || S <- list(Opts, "cipher-suites")]}
        || maps:is_key("cipher-suites", Opts)]
    %% signature_algorithms only: the certificate chain is still checked with the defaults.
    ++ [{signature_algs, atoms(Opts, "signature-schemes", ?SCHEMES)}
        || maps:is_key("signature-schemes", Opts)]
    ++ [{signature_algs_cert, ssl:signature_algs(default, 'tlsv1.3')}
        || maps:is_key("signature-schemes", Opts)]
    ++ credentials(Opts).

%% --cert (the leaf), --chain (intermediates, the leaf skipped) and --key.
credentials(#{"cert" := Cert, "key" := Key} = Opts) ->
    [Leaf | _] = Chain = pem_certs(Cert),
    Extra = [C || C <- pem_certs(maps:get("chain", Opts, Cert)), C =/= Leaf],
    [{certs_keys, [#{cert => Chain ++ Extra, keyfile => Key}]}];
credentials(#{"cert" := _}) -> throw({usage, "--cert and --key go together"});
credentials(#{"key" := _}) -> throw({usage, "--cert and --key go together"});
credentials(_) -> [].

pem_certs(Path) ->
    {ok, Pem} = file:read_file(Path),
    [Der || {'Certificate', Der, not_encrypted} <- public_key:pem_decode(Pem)].

%% ------------------------------------------------------------------ server

server(Opts) ->
    Tickets = number(Opts, "tickets", 0),
    EarlyData = number(Opts, "max-early-data", 0),
    application:set_env(ssl, server_session_tickets_amount, max(Tickets, 1)),
    application:set_env(ssl, server_session_ticket_max_early_data, EarlyData),
    ClientAuth = maps:is_key("client-auth", Opts),
    ClientAuth andalso not maps:is_key("ca", Opts) andalso throw({usage, "--client-auth needs --ca"}),
    maps:is_key("cert", Opts) orelse throw({usage, "server needs --cert and --key"}),
    Listen = common(Opts, atoms(Opts, "groups", ?GROUPS))
        ++ [{ip, {127, 0, 0, 1}}, {reuseaddr, true},
            {session_tickets, if Tickets > 0 -> stateless; true -> disabled end}]
        ++ [{honor_cipher_order, true} || maps:is_key("cipher-suites", Opts)]
        ++ [{early_data, enabled} || EarlyData > 0] ++ [{anti_replay, '10k'} || EarlyData > 0]
        ++ case ClientAuth of
               true -> [{verify, verify_peer}, {fail_if_no_peer_cert, true},
                        {cacertfile, maps:get("ca", Opts)}];
               false -> [{verify, verify_none}]
           end,
    {ok, Socket} = case ssl:listen(number(Opts, "port", 0), Listen) of
                       {ok, _} = Ok -> Ok;
                       {error, E} -> throw({usage, io_lib:format("cannot listen: ~p", [E])})
                   end,
    {ok, {_, Port}} = ssl:sockname(Socket),
    say(io_lib:format("listening on 127.0.0.1:~b", [Port])),
    serve(Socket, number(Opts, "count", -1), maps:is_key("http", Opts), 0).

serve(_, 0, _, Failed) -> min(Failed, 1);
serve(Socket, Count, Http, Failed) ->
    {ok, Tcp} = ssl:transport_accept(Socket),
    Report = serve_one(Tcp, Http),
    print(Report),
    serve(Socket, Count - 1, Http, Failed + if map_get(ok, Report) -> 0; true -> 1 end).

serve_one(Tcp, Http) ->
    flush_events(),
    Start = erlang:monotonic_time(microsecond),
    case ssl:handshake(Tcp, ?TIMEOUT) of
        {ok, S} ->
            R0 = established(S, server, Start),
            Result = case Http of
                         true -> answer_http(S);
                         false -> echo_line(S)
                     end,
            finish(S, server, R0, Result);
        {error, Reason} ->
            failed(server, #{handshakeMs => elapsed(Start)}, Reason)
    end.

echo_line(S) ->
    ok = ssl:setopts(S, [{packet, line}]),
    case ssl:recv(S, 0, ?TIMEOUT) of
        {ok, Line} -> ssl:send(S, Line);
        Error -> Error
    end.

%% Reads an HTTP request head; answers 200 with the path (without "/") as the body.
answer_http(S) ->
    ok = ssl:setopts(S, [{packet, line}]),
    case read_head(S, []) of
        {ok, [Request | _]} ->
            [_, "/" ++ Body | _] = string:lexemes(binary_to_list(Request), " \r\n"),
            ssl:send(S, io_lib:format("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n"
                                      "content-length: ~b\r\nconnection: close\r\n\r\n~ts",
                                      [length(Body), Body]));
        Error -> Error
    end.

read_head(S, Lines) ->
    case ssl:recv(S, 0, ?TIMEOUT) of
        {ok, <<"\r\n">>} -> {ok, lists:reverse(Lines)};
        {ok, Line} -> read_head(S, [Line | Lines]);
        Error -> Error
    end.

%% ------------------------------------------------------------------ client

client(Opts) ->
    maps:is_key("ca", Opts) orelse throw({usage, "client needs --ca"}),
    maps:is_key("resume-groups", Opts) andalso not maps:is_key("resume", Opts)
        andalso throw({usage, "--resume-groups needs --resume"}),
    Groups = atoms(Opts, "groups", ?GROUPS),
    Host = maps:get("server-name", Opts, "127.0.0.1"),
    %% A name: SNI, and the certificate must match it; the default 127.0.0.1: no SNI, IP SAN.
    Base = [{verify, verify_peer}, {cacertfile, maps:get("ca", Opts)}]
        ++ [{server_name_indication, Host} || maps:is_key("server-name", Opts)]
        ++ [{psk_groups, atoms(Opts, "key-shares", ?GROUPS)} || maps:is_key("key-shares", Opts)]
        ++ [{session_tickets, auto} || maps:is_key("resume", Opts)],
    First = connect(Opts, Base ++ common(Opts, Groups), undefined),
    case maps:is_key("resume", Opts) of
        false -> First;
        true ->
            Again = case maps:is_key("resume-groups", Opts) of
                        true -> common(Opts, atoms(Opts, "resume-groups", ?GROUPS));
                        false -> common(Opts, Groups)
                    end,
            Early = [{early_data, list_to_binary(E)} || {ok, E} <- [maps:find("early-data", Opts)]],
            max(First, connect(Opts, Base ++ Early ++ Again, maps:get("early-data", Opts, undefined)))
    end.

%% One connection: 0 when it succeeded (and, with --expect-echo, the echo matched), else 1.
connect(Opts, SslOpts, Early) ->
    flush_events(),
    Message = maps:get("message", Opts, "hello"),
    Start = erlang:monotonic_time(microsecond),
    R = case ssl:connect("127.0.0.1", number(Opts, "port", 0), SslOpts, ?TIMEOUT) of
            {ok, S} ->
                R0 = established(S, client, Start),
                {Echo, Result} = exchange(S, Message, maps:is_key("http", Opts)),
                %% A server that keeps 0-RTT data in the stream echoes it before the line.
                Matched = Echo =:= Message orelse (Early =/= undefined andalso Echo =:= Early ++ Message),
                EchoField = if Echo =:= none -> <<"none">>; Matched -> <<"matched">>;
                               true -> <<"mismatched">> end,
                finish(S, client, R0#{echo => EchoField}, Result);
            {error, Reason} ->
                failed(client, #{handshakeMs => elapsed(Start)}, Reason)
        end,
    print(R),
    Good = map_get(ok, R) andalso (not maps:is_key("expect-echo", Opts)
                                   orelse maps:get(echo, R, none) =:= <<"matched">>),
    if Good -> 0; true -> 1 end.

exchange(S, Message, true) ->
    Result = ssl:send(S, ["GET /", Message, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"]),
    case read_all(S, <<>>) of
        {Data, _} when Result =/= ok -> {body(Data), Result};
        {Data, Closed} -> {body(Data), Closed}
    end;
exchange(S, Message, false) ->
    %% Line mode before the line goes out: the echo (and the server's close right after it) may
    %% arrive before a later setopts, which then finds the socket closed.
    case ssl:setopts(S, [{packet, line}]) of
        ok ->
            case ssl:send(S, [Message, "\n"]) of
                ok ->
                    case ssl:recv(S, 0, ?TIMEOUT) of
                        {ok, Line} -> {string:trim(binary_to_list(Line), trailing, "\n"), ok};
                        Error -> {none, Error}
                    end;
                Error -> {none, Error}
            end;
        Error -> {none, Error}
    end.

read_all(S, Acc) ->
    case ssl:recv(S, 0, ?TIMEOUT) of
        {ok, Data} -> read_all(S, <<Acc/binary, Data/binary>>);
        {error, closed} -> {Acc, ok};
        Error -> {Acc, Error}
    end.

body(Response) ->
    case string:split(binary_to_list(Response), "\r\n\r\n") of
        [_, Body] -> Body;
        _ -> none
    end.

%% ------------------------------------------------------------------ the JSON line

%% What connection_information says right after the handshake.
established(S, Role, Start) ->
    Ms = elapsed(Start),
    {ok, Info} = ssl:connection_information(S, [protocol, selected_group, selected_cipher_suite,
                                                session_resumption]),
    Resumed = proplists:get_value(session_resumption, Info, false),
    Group = proplists:get_value(selected_group, Info),
    Peer = case ssl:peercert(S) of
               {ok, Der} when not Resumed -> describe(Der);
               _ -> null
           end,
    #{ok => false, role => Role, handshakeDone => true, handshakeMs => Ms,
      version => case proplists:get_value(protocol, Info) of 'tlsv1.3' -> <<"TLSv1.3">>; V -> text(V) end,
      group => name(Group, ?GROUPS),
      cipherSuite => case proplists:get_value(selected_cipher_suite, Info) of
                         undefined -> null;
                         Suite -> list_to_binary(ssl:suite_to_str(Suite))
                     end,
      resumed => Resumed,
      pskMode => if not Resumed -> null; Group =:= undefined -> <<"psk_ke">>; true -> <<"psk_dhe_ke">> end,
      peerCertificate => Peer}.

%% Closes (close_notify) and completes the report with what the exchange and ssl's log said.
finish(S, Role, R, Result) ->
    Closed = ssl:close(S),
    R1 = with_events(R#{role => Role}),
    case {Result, Closed} of
        {ok, ok} -> R1#{ok => true};
        {ok, Error} -> failed(Role, R1, Error);
        {Error, _} -> failed(Role, R1, Error)
    end.

failed(Role, R, {error, Reason}) -> failed(Role, R, Reason);
failed(Role, R0, Reason) ->
    R = with_events(R0#{role => Role}),
    Alert = case Reason of
                {tls_alert, {Desc, Text}} ->
                    Dir = case string:find(Text, "received") of nomatch -> <<"sent">>; _ -> <<"received">> end,
                    #{alert => text(Desc), alertDirection => Dir};
                _ -> #{}
            end,
    maps:merge(R#{ok => false, error => text(io_lib:format("~0p", [Reason]))}, Alert).

%% Facts from the handshake records ssl logged for this connection.
with_events(R = #{role := Role}) ->
    Events = events(),
    Own = fun(Dir) -> (Role =:= server) =:= (Dir =:= outbound) end, % a message the server sent
    Hrr = [x || {_, {server_hello, _, ?HRR_RANDOM, _, _, _}} <- Events],
    Schemes = [A || {Dir, {certificate_verify_1_3, A, _}} <- Events, Own(Dir)],
    Mine = [Der || {outbound, {certificate_1_3, _, [{certificate_entry, Der, _} | _]}} <- Events],
    EarlyOffered = [x || {_, {client_hello, _, _, _, _, _, #{early_data := E}}} <- Events, E =/= undefined],
    EarlyAccepted = [x || {_, {encrypted_extensions, #{early_data := E}}} <- Events, E =/= undefined],
    R#{helloRetryRequest => case maps:get(handshakeDone, R, false) of true -> Hrr =/= []; false -> null end,
       signatureScheme => case Schemes of [A | _] -> name_of(A, ?SCHEMES); [] -> null end,
       certificate => case Mine of [Der | _] -> describe(Der); [] -> null end,
       earlyData => if EarlyAccepted =/= [] -> <<"accepted">>; EarlyOffered =/= [] -> <<"rejected">>;
                       true -> null end}.

print(R) ->
    Fields = [ok, version, group, cipherSuite, helloRetryRequest, resumed, pskMode, earlyData,
              signatureScheme, peerCertificate, certificate, echo, alert, alertDirection, error,
              handshakeMs],
    io:put_chars([json:encode(maps:with(Fields, maps:merge(#{version => null, group => null,
        cipherSuite => null, helloRetryRequest => null, resumed => null, pskMode => null,
        signatureScheme => null, peerCertificate => null, alert => null, alertDirection => null,
        error => null}, R))), "\n"]).

elapsed(Start) -> (erlang:monotonic_time(microsecond) - Start) / 1000.

text(A) when is_atom(A) -> atom_to_binary(A);
text(S) -> unicode:characters_to_binary(S).

name(undefined, _) -> null;
name(Atom, Table) -> name_of(Atom, Table).

name_of(Atom, Table) ->
    case lists:keyfind(Atom, 2, Table) of {Name, _} -> list_to_binary(Name); false -> text(Atom) end.

%% Subject (RFC 4514 order) and key kind of a DER certificate. The OTP form is a tuple:
%% {'OTPCertificate', TBS, _, _} with the subject at element 7 and the key info at element 8.
describe(Der) ->
    TBS = element(2, public_key:pkix_decode_cert(Der, otp)),
    {rdnSequence, Rdns} = element(7, TBS),
    {'OTPSubjectPublicKeyInfo', {'PublicKeyAlgorithm', Alg, Params}, Key} = element(8, TBS),
    Attrs = [[short(Oid), "=", value(V)] || Rdn <- lists:reverse(Rdns), {_, Oid, V} <- Rdn],
    #{subject => text(lists:join(",", Attrs)), keyType => key_type(Alg, Params, Key)}.

short({2, 5, 4, 3}) -> "CN";
short({2, 5, 4, 10}) -> "O";
short(Oid) -> lists:join(".", [integer_to_list(I) || I <- tuple_to_list(Oid)]).

value({_, V}) -> value(V);
value(V) when is_binary(V) -> binary_to_list(V);
value(V) -> V.

key_type(_, {namedCurve, {1, 2, 840, 10045, 3, 1, 7}}, _) -> <<"ecdsa-p256">>;
key_type(_, {namedCurve, {1, 3, 132, 0, 34}}, _) -> <<"ecdsa-p384">>;
key_type({1, 3, 101, 112}, _, _) -> <<"ed25519">>;
key_type({1, 2, 840, 113549, 1, 1, 1}, _, {'RSAPublicKey', N, _}) ->
    text("rsa" ++ integer_to_list(bit_size(binary:encode_unsigned(N))));
key_type({2, 16, 840, 1, 101, 3, 4, 3, 17}, _, _) -> <<"mldsa44">>;
key_type({2, 16, 840, 1, 101, 3, 4, 3, 18}, _, _) -> <<"mldsa65">>;
key_type({2, 16, 840, 1, 101, 3, 4, 3, 19}, _, _) -> <<"mldsa87">>;
key_type(Alg, _, _) -> text(io_lib:format("~p", [Alg])).

%% ------------------------------------------------------------------ what ssl logs

%% Route ssl's debug-level handshake records to this (registered) process. ssl's own handler
%% would print them on stdout, which carries only the JSON lines: it goes, and so does the
%% default handler (stdout); notices (ssl's alert reports) go to stderr instead.
observe() ->
    register(pqi_main, self()),
    logger:remove_handler(ssl_handler),
    logger:remove_handler(default),
    logger:add_handler(stderr, logger_std_h, #{level => notice, config => #{type => standard_error}}),
    logger:add_handler(pqi, ?MODULE, #{level => debug, filter_default => stop,
        filters => [{ssl, {fun logger_filters:domain/2, {log, sub, [otp, ssl]}}}]}).

%% The logger handler, run in ssl's connection processes.
log(#{msg := {report, #{direction := Dir, protocol := handshake, message := Msg}}}, _) ->
    pqi_main ! {pqi_event, Dir, Msg},
    ok;
log(_, _) ->
    ok.

events() ->
    receive {pqi_event, Dir, Msg} -> [{Dir, Msg} | events()]
    after 0 -> []
    end.

flush_events() -> events(), ok.

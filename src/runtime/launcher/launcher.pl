#!/usr/bin/perl
# pqinterop launcher: runs inside a long-lived container and starts, feeds, kills and reaps the
# programs of the cells, so the runner pays one `docker exec` per container instead of one per
# program. It speaks a line protocol (every value hex-encoded, so any byte fits) on stdin/stdout,
# or, with --tcp, on a connection the runner makes to 127.0.0.1 (the container shares the host's
# loopback): then no message passes through the container engine, and stdin only says whether the
# runner is still there.
#
#   runner → launcher                          launcher → runner
#   spawn ID ARGV ENV STDIN                    started ID PID
#     ARGV, ENV: NUL-joined, hex ("-": none)   failed ID MESSAGE
#     STDIN: bytes to feed ("-": /dev/null)    out ID 1|2 BYTES        (stdout or stderr)
#   kill ID                                    exit ID CODE SIGNAL     (once reaped and drained)
#   ping                                       pong
#
# Every program leads its own process group; a kill, and a program's own end, take the whole
# group, so nothing it started survives into the next cell. When the runner goes away (end of
# stdin), every group is killed and the launcher exits. Only perl-base modules are used: every
# Debian image has them.
use strict;
use warnings;
use POSIX qw(setsid _exit :sys_wait_h);
use IO::Handle;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY);

$| = 1;
STDOUT->autoflush(1);

# Where the protocol runs: stdin/stdout, or one accepted connection on 127.0.0.1.
my ($IN, $OUT) = (\*STDIN, \*STDOUT);
if (($ARGV[0] // '') eq '--tcp') {
    my $listener = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1,
        Proto => 'tcp', ReuseAddr => 1) or die "launcher: cannot listen on 127.0.0.1: $!\n";
    print STDOUT "port ", $listener->sockport, "\n";
    my $rin = '';
    vec($rin, fileno($listener), 1) = 1;
    select(my $rout = $rin, undef, undef, 15) > 0 or die "launcher: the runner did not connect\n";
    my $conn = $listener->accept() or die "launcher: accept: $!\n";
    close $listener;
    $conn->autoflush(1);
    # Each message leaves at once: without this, Nagle holds a reply until the last one is acked.
    setsockopt($conn, IPPROTO_TCP, TCP_NODELAY, 1);
    ($IN, $OUT) = ($conn, $conn);
}

my %procs;        # id => { pid, out => fh, err => fh, code, signal, reaped_at }
my %by_fd;        # fileno => [id, stream number, fh]
my $input = '';
my $DRAIN_GRACE = 2;  # seconds to wait for a reaped program's pipes to close

sub say_line { print $OUT join(' ', @_), "\n"; }
sub hex_of { my ($s) = @_; return length($s) ? unpack('H*', $s) : '-'; }
sub bytes_of { my ($h) = @_; return $h eq '-' ? '' : pack('H*', $h); }

sub spawn {
    my ($id, $argv_hex, $env_hex, $stdin_hex) = @_;
    my @argv = split(/\0/, bytes_of($argv_hex), -1);
    my %env = map { my ($k, $v) = split(/=/, $_, 2); ($k, $v) } grep { length } split(/\0/, bytes_of($env_hex), -1);
    my $stdin = $stdin_hex eq '-' ? undef : bytes_of($stdin_hex);
    pipe(my $out_r, my $out_w) or return say_line('failed', $id, hex_of("pipe: $!"));
    pipe(my $err_r, my $err_w) or return say_line('failed', $id, hex_of("pipe: $!"));
    my ($in_r, $in_w);
    if (defined $stdin) { pipe($in_r, $in_w) or return say_line('failed', $id, hex_of("pipe: $!")); }
    pipe(my $exec_r, my $exec_w) or return say_line('failed', $id, hex_of("pipe: $!"));
    my $pid = fork();
    return say_line('failed', $id, hex_of("fork: $!")) unless defined $pid;
    if ($pid == 0) {
        setsid();
        close $out_r; close $err_r; close $exec_r;
        if (defined $stdin) { close $in_w; open(STDIN, '<&', $in_r); } else { open(STDIN, '<', '/dev/null'); }
        open(STDOUT, '>&', $out_w);
        open(STDERR, '>&', $err_w);
        # perl opens every descriptor above stderr close-on-exec: exec_w closes on success.
        $ENV{$_} = $env{$_} for keys %env;
        { no warnings 'exec'; exec { $argv[0] } @argv; }
        syswrite($exec_w, "$argv[0]: $!");
        _exit(127);
    }
    close $out_w; close $err_w; close $exec_w;
    # A failed exec writes its reason before the pipe closes; a successful one closes it silently.
    my $why = '';
    sysread($exec_r, $why, 4096);
    close $exec_r;
    if (defined $stdin) {
        close $in_r;
        syswrite($in_w, $stdin) if length $stdin;
        close $in_w;
    }
    $procs{$id} = { pid => $pid, open => 2 };
    for ([$out_r, 1], [$err_r, 2]) {
        my ($fh, $n) = @$_;
        $by_fd{fileno $fh} = [$id, $n, $fh];
    }
    if (length $why) {
        say_line('failed', $id, hex_of($why));
        kill 'KILL', -$pid;
    } else {
        say_line('started', $id, $pid);
    }
}

sub kill_group { my ($p) = @_; kill('KILL', -$p->{pid}) if $p->{pid} > 1; }

sub finish {
    my ($id) = @_;
    my $p = delete $procs{$id} or return;
    kill_group($p);  # whatever it started and left behind goes with it
    for my $fd (grep { $by_fd{$_}[0] eq $id } keys %by_fd) { close $by_fd{$fd}[2]; delete $by_fd{$fd}; }
    say_line('exit', $id, $p->{code} // '-', $p->{signal} // '-');
}

sub reap {
    while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
        my $status = $?;
        my ($id) = grep { $procs{$_}{pid} == $pid } keys %procs;
        next unless defined $id;
        my $p = $procs{$id};
        $p->{code} = WIFEXITED($status) ? WEXITSTATUS($status) : undef;
        $p->{signal} = WIFSIGNALED($status) ? WTERMSIG($status) : undef;
        $p->{reaped_at} = time;
    }
    for my $id (keys %procs) {
        my $p = $procs{$id};
        next unless defined $p->{reaped_at};
        finish($id) if $p->{open} == 0 || time - $p->{reaped_at} >= $DRAIN_GRACE;
    }
}

sub command {
    my ($line) = @_;
    my @f = split(/ /, $line);
    my $verb = shift @f // '';
    if ($verb eq 'spawn' && @f == 4) { spawn(@f); }
    elsif ($verb eq 'kill' && @f == 1) { my $p = $procs{$f[0]}; kill_group($p) if $p; }
    elsif ($verb eq 'ping') { say_line('pong'); }
    else { say_line('error', hex_of("unknown command: $line")); }
}

$SIG{CHLD} = sub { };  # interrupts select, so a program's end is noticed at once
$SIG{PIPE} = 'IGNORE';
# The runner is there while its end of the protocol is open; with --tcp, stdin closing says the
# same (the `docker exec` that started us is gone).
my $stdin_open = 1;
my $tcp = fileno($IN) != fileno(STDIN);
while ($stdin_open || %procs) {
    my $rin = '';
    if ($stdin_open) {
        vec($rin, fileno($IN), 1) = 1;
        vec($rin, fileno(STDIN), 1) = 1 if $tcp;
    }
    vec($rin, $_, 1) = 1 for keys %by_fd;
    my $n = select(my $rout = $rin, undef, undef, 0.25);
    reap();
    next if $n <= 0;
    if ($stdin_open && $tcp && vec($rout, fileno(STDIN), 1)) {
        my $got = sysread(STDIN, my $ignored, 65536);
        if (!$got) {
            $stdin_open = 0;
            kill_group($_) for values %procs;
        }
    }
    if ($stdin_open && vec($rout, fileno($IN), 1)) {
        my $got = sysread($IN, my $buf, 65536);
        if (!$got) {
            # The runner is gone: nothing may outlive it.
            $stdin_open = 0;
            kill_group($_) for values %procs;
        } else {
            $input .= $buf;
            while ($input =~ s/^([^\n]*)\n//) { command($1); }
        }
    }
    for my $fd (keys %by_fd) {
        next unless vec($rout, $fd, 1);
        my ($id, $stream, $fh) = @{$by_fd{$fd}};
        my $got = sysread($fh, my $buf, 65536);
        if ($got) {
            say_line('out', $id, $stream, hex_of($buf));
        } else {
            close $fh;
            delete $by_fd{$fd};
            $procs{$id}{open}-- if $procs{$id};
        }
    }
    reap();
}

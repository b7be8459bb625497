// A training run for the class archive, made while the image is built: one server and one client
// in this JVM (so one archive holds the classes of both roles), on a free loopback port, with the
// steps a matrix run takes: a post-quantum handshake, resumption, client authentication.
//
//   java -XX:ArchiveClassesAtExit=pqi.jsa -cp pqi.jar Train DIR   (DIR: ca.pem, leaf.pem, leaf.key)

import java.net.InetAddress;
import java.net.ServerSocket;

public final class Train {
  public static void main(String[] args) throws Exception {
    String dir = args[0];
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = probe.getLocalPort();
    }
    String p = String.valueOf(port);
    Thread server = new Thread(() -> Pqi.run(new String[] {"server", "--port", p, "--cert",
        dir + "/leaf.pem", "--key", dir + "/leaf.key", "--ca", dir + "/ca.pem", "--client-auth",
        "--count", "2", "--tickets", "1", "--groups", "X25519MLKEM768,x25519"}));
    server.start();
    Thread.sleep(1500);
    int rc = Pqi.run(new String[] {"client", "--port", p, "--ca", dir + "/ca.pem", "--cert",
        dir + "/leaf.pem", "--key", dir + "/leaf.key", "--server-name", "localhost", "--resume",
        "--groups", "X25519MLKEM768,x25519"});
    server.join();
    System.exit(rc);
  }
}
